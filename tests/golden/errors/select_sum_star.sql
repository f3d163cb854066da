-- only COUNT(*) counts rows
BULK INSERT INTO t SELECT SUM(*) AS n FROM s;
