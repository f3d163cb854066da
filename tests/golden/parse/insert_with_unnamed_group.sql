-- WITH (...) without a group name
BULK INSERT INTO c (a) VALUES (1) WITH (batch_size = 5);
