-- a boolean option given a number
BULK INSERT INTO c (a) VALUES (1) WITH (ordered = 1);
