-- a row without its closing parenthesis
BULK INSERT INTO c (a, b) VALUES (1, 2;
