-- reading the collection the statement writes
BULK INSERT INTO s SELECT a FROM s WHERE a > 1;
