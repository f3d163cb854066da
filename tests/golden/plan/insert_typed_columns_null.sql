-- NULL fits every column type
BULK INSERT INTO c (i INT, d DATE, o OBJECTID, j JSON) VALUES (NULL, NULL, NULL, NULL);
