-- a VALUES row with too many values
BULK INSERT INTO c (a) VALUES (1, 2);
