-- parallel_workers > 1 with ordered = TRUE, pointing at ordered
BULK INSERT INTO c (a) VALUES (1) WITH (ordered = TRUE, parallel_workers = 4);
