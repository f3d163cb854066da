-- WITH name AS (SELECT ...): before the statement, and after the column list (the reference's AGGREGATION_SOURCE)
WITH daily AS (SELECT user_id, COUNT(*) AS n FROM events GROUP BY user_id), top AS (SELECT user_id FROM daily WHERE n > 5)
BULK INSERT INTO t SELECT * FROM top;
BULK UPSERT INTO t (u, n) WITH src AS (SELECT user_id, COUNT(*) AS n FROM events GROUP BY user_id) SELECT user_id, n FROM src ON CONFLICT (u) DO UPDATE SET n = EXCLUDED.n;
EXPLAIN WITH q AS (SELECT a FROM s) BULK INSERT INTO t SELECT a FROM q;
