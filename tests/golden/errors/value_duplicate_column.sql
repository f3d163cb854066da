-- a column given twice
BULK INSERT INTO c (a, b, a) VALUES (1, 2, 3);
