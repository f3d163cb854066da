-- LEFT JOIN after an alias fails closed at the join
BULK INSERT INTO t SELECT a FROM s AS x LEFT JOIN r ON TRUE;
