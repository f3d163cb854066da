-- max_execution_time in fractional seconds
BULK INSERT INTO c (_id) VALUES (1) WITH (max_execution_time = 2.5);
