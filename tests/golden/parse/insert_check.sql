-- CHECK (condition) after the rows
BULK INSERT INTO c (a, b) VALUES (1, 'x') CHECK (a > 0 AND b IS NOT NULL);
