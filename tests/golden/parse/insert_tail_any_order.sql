-- the clauses after the rows come in any order
BULK INSERT INTO c (_id, a) VALUES (1, 2)
WITH (ordered = FALSE)
ON DUPLICATE KEY UPDATE a = EXCLUDED.a
CHECK (a > 0);
