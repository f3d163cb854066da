-- memory_limit in GB and as a number of bytes; max_execution_time as an interval
BULK INSERT INTO c (_id) VALUES (1) WITH (memory_limit = '1GB', max_execution_time = INTERVAL '5 minutes');
BULK INSERT INTO c (_id) VALUES (1) WITH (memory_limit = 2097152, max_execution_time = '1 hour');
