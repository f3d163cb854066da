-- WITH before a statement without SELECT
WITH q AS (SELECT a FROM s) BULK INSERT INTO t (a) VALUES (1);
