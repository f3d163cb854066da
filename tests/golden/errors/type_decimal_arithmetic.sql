-- DECIMAL arithmetic on the client is not supported
BULK INSERT INTO c (a) VALUES (DECIMAL '1.10' + 1);
