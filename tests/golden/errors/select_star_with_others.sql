-- SELECT * takes no other columns
BULK INSERT INTO t SELECT *, a FROM s;
