-- a double that overflows
BULK INSERT INTO c (a) VALUES (1e308 * 10);
