-- a VALUES row with too few values
BULK INSERT INTO c (a, b) VALUES (1, 2), (3);
