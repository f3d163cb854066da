-- a misspelt VALUES
BULK INSERT INTO c (a) VALEUS (1);
