-- a VALUES row cannot read a field
BULK INSERT INTO c (a, b) VALUES (1, a);
