-- NOT of a number
BULK INSERT INTO c (a) VALUES (NOT 1);
