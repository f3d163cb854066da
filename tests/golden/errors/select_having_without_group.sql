-- HAVING without GROUP BY or an aggregate
BULK INSERT INTO t SELECT a FROM s HAVING a > 1;
