-- DATE_TRUNC with an unknown unit
BULK INSERT INTO t SELECT DATE_TRUNC('fortnight', ts) AS d FROM s;
