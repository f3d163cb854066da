-- FROM a, b is a join
BULK INSERT INTO t SELECT a FROM s, r;
