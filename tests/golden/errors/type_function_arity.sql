-- LOWER with two arguments
BULK INSERT INTO c (a) VALUES (LOWER('a', 'b'));
