-- a date plus a number
BULK INSERT INTO c (a) VALUES (DATE '2024-01-15' + 1);
