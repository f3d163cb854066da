-- INTERVAL is not a column type
BULK INSERT INTO c (a INTERVAL) VALUES ('1 day');
