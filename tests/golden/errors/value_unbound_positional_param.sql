-- ? without a bound value
BULK INSERT INTO c (a, b) VALUES (1, ?);
