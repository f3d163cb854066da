-- memory_limit above 1TB
BULK INSERT INTO c (a) VALUES (1) WITH (memory_limit = '2TB');
