-- LOWER of a number
BULK INSERT INTO c (a) VALUES (LOWER(5));
