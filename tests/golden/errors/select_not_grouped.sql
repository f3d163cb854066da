-- a field neither grouped nor aggregated, at its span
BULK INSERT INTO t SELECT user_id, kind, COUNT(*) AS n FROM s GROUP BY user_id;
