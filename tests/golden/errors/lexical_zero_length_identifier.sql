-- "" is not an identifier
BULK INSERT INTO c ("") VALUES (1);
