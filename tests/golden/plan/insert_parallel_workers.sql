-- parallel_workers with ordered = FALSE
BULK INSERT INTO c (_id) VALUES (1) WITH (parallel_workers = 8, ordered = FALSE);
