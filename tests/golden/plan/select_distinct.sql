-- SELECT DISTINCT: $group on the columns; no aggregate without GROUP BY makes one group
EXPLAIN BULK INSERT INTO users SELECT DISTINCT user_id, device.type AS device FROM ev ORDER BY user_id;
EXPLAIN BULK INSERT INTO totals SELECT COUNT(*) AS n, SUM(amount) AS total FROM ev WHERE kind = 'buy';
