-- WITH both before the statement and before its SELECT
WITH q AS (SELECT a FROM s) BULK INSERT INTO t WITH r AS (SELECT a FROM q) SELECT a FROM r;
