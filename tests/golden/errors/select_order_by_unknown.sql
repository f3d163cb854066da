-- ORDER BY an expression after GROUP BY that is not grouped
BULK INSERT INTO t SELECT a, COUNT(*) AS n FROM s GROUP BY a ORDER BY b;
