-- INT column with a value beyond int32
BULK INSERT INTO c (a INT) VALUES (3000000000);
