-- CHECK with rows from SELECT
BULK INSERT INTO t (a) SELECT a FROM s CHECK (a > 0);
