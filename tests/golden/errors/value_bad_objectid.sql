-- OBJECTID needs 24 hexadecimal digits
BULK INSERT INTO c (_id) VALUES (OBJECTID('65a1b2c3'));
