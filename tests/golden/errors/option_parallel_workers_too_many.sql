-- parallel_workers above 64
BULK INSERT INTO c (a) VALUES (1) WITH (parallel_workers = 65, ordered = FALSE);
