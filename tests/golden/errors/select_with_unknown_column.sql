-- a column the WITH query does not have
WITH q AS (SELECT a, COUNT(*) AS n FROM s GROUP BY a) BULK INSERT INTO t SELECT a, total FROM q;
