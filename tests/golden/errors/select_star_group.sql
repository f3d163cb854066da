-- SELECT * cannot be grouped
BULK INSERT INTO t SELECT * FROM s GROUP BY a;
