-- a window function fails closed at OVER
BULK INSERT INTO t SELECT a, ROW_NUMBER() OVER (PARTITION BY a) AS n FROM s;
