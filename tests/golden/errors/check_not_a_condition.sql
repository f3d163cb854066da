-- CHECK of a number
BULK INSERT INTO c (a) VALUES (5) CHECK (a);
