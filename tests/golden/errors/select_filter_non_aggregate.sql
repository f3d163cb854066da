-- FILTER on a function that is not an aggregate
BULK INSERT INTO t SELECT LOWER(a) FILTER (WHERE b > 1) AS l FROM s;
