-- a column list of another length than the select list
BULK INSERT INTO t (a, b, c) SELECT a, b FROM s;
