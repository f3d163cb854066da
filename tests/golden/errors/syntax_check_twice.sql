-- CHECK given twice
BULK INSERT INTO c (a) VALUES (1) CHECK (a > 0) CHECK (a < 9);
