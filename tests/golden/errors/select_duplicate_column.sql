-- two columns of one name
BULK INSERT INTO t SELECT a, b AS a FROM s;
