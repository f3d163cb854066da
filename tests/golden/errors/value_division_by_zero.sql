-- division by zero on the client
BULK INSERT INTO c (a) VALUES (1 / 0);
