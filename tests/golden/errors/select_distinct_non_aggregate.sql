-- DISTINCT inside a function that is not an aggregate
BULK INSERT INTO t SELECT UPPER(DISTINCT a) AS u FROM s;
