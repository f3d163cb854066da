-- a.b and then a overlap
BULK INSERT INTO c (a.b, a) VALUES (1, 2);
