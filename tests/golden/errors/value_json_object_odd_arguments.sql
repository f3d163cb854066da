-- JSON_OBJECT takes key, value pairs
BULK INSERT INTO c (a) VALUES (JSON_OBJECT('k', 1, 'j'));
