-- a column type with rows from SELECT
BULK INSERT INTO t (a INT) SELECT a FROM s;
