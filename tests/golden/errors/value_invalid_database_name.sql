-- a database name with a space
BULK INSERT INTO "my db".c (x) VALUES (1);
