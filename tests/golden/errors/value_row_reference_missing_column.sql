-- v.col that the rows do not have
BULK UPDATE c SET a = v.b FROM (VALUES (1)) AS v(a) WHERE _id = v.a;
