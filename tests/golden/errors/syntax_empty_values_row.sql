-- a VALUES row cannot be empty
BULK INSERT INTO c (a) VALUES ();
