-- a column name starting with $
BULK INSERT INTO c ("$x") VALUES (1);
