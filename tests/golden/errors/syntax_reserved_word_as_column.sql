-- a reserved word as a column name, with a hint to quote it
BULK INSERT INTO c (select, a) VALUES (1, 2);
