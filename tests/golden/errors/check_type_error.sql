-- CHECK comparing a string column with a number
BULK INSERT INTO c (a) VALUES ('x') CHECK (a > 1);
