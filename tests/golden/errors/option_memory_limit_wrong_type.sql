-- memory_limit as a boolean
BULK INSERT INTO c (a) VALUES (1) WITH (memory_limit = TRUE);
