-- a trailing comma after the last row
BULK INSERT INTO c (a) VALUES (1), (2),;
