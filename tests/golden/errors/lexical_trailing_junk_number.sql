-- a number followed by letters
BULK INSERT INTO c (a) VALUES (123abc);
