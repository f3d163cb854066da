-- unary minus on a string
BULK INSERT INTO c (a) VALUES (-'x');
