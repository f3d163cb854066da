-- OBJECTID column with bad text
BULK INSERT INTO c (a OBJECTID) VALUES ('xyz');
