-- a string inside a JSON literal cut by a newline
BULK INSERT INTO c (a) VALUES ({"k
": 1});
