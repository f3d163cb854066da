-- DATE(ts) and DATE_TRUNC('unit', ts) lower to $dateTrunc (weeks start on Monday); a group key named by its alias
EXPLAIN BULK INSERT INTO s SELECT DATE(ts) AS day, DATE_TRUNC('week', ts) AS week, DATE_TRUNC('HOUR', ts) AS hour, COUNT(*) AS n FROM ev GROUP BY day, DATE_TRUNC('week', ts), hour;
