-- an aggregate in WHERE
BULK INSERT INTO t SELECT a FROM s WHERE COUNT(*) > 1;
