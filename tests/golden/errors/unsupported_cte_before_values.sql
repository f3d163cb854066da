-- WITH ... AS names rows that a SELECT reads, not VALUES
BULK INSERT INTO c (a) WITH src AS (SELECT a FROM s) VALUES (1);
