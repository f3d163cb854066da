-- WITH name AS after the rows is a CTE, not an option group
BULK INSERT INTO c (a) VALUES (1) WITH src AS (SELECT 1);
