-- INT column with a fraction
BULK INSERT INTO c (a INT) VALUES (1.5);
