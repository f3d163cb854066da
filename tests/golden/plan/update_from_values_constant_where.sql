-- a WHERE that does not use the row is computed once
BULK UPDATE c SET a = v.a FROM (VALUES (1)) AS v(a) WHERE status = 'x';
