-- STRING column given a number
BULK INSERT INTO c (a STRING) VALUES (5);
