-- a common table expression is not supported
BULK INSERT INTO c (a) WITH src AS (SELECT 1) VALUES (1);
