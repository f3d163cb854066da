-- memory_limit below 1MB
BULK INSERT INTO c (a) VALUES (1) WITH (memory_limit = '1KB');
