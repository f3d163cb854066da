-- a scalar subquery in the select list
BULK INSERT INTO t SELECT a, (SELECT MAX(b) FROM r) AS m FROM s;
