-- parallel_workers > 1 needs ordered = false
BULK INSERT INTO c (a) VALUES (1) WITH (parallel_workers = 4);
