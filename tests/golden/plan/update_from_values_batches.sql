-- FROM (VALUES ...) with batch_size = 2 and 3 rows
BULK UPDATE c SET n = v.n FROM (VALUES (1, 10), (2, 20), (3, 30)) AS v(id, n) WHERE _id = v.id WITH (batch_size = 2);
