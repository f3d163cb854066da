-- BOOL column given a number
BULK INSERT INTO c (a BOOL) VALUES (1);
