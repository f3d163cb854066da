-- DECIMAL that is not a number
BULK INSERT INTO c (a) VALUES (DECIMAL '1.2.3');
