-- a join fails closed at JOIN
BULK INSERT INTO t SELECT a FROM s JOIN r ON s.k = r.k;
