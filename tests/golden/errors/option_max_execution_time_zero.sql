-- max_execution_time must be positive
BULK INSERT INTO c (a) VALUES (1) WITH (max_execution_time = 0);
