-- a WHERE that does not use the row cannot pick the documents of each row
BULK UPDATE c SET a = v.a FROM (VALUES (1)) AS v(a) WHERE status = 'x';
