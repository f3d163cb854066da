-- memory_limit that is not a size
BULK INSERT INTO c (a) VALUES (1) WITH (memory_limit = '64 potatoes');
