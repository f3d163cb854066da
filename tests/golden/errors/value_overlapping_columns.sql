-- a and a.b overlap
BULK INSERT INTO c (a, a.b) VALUES (1, 2);
