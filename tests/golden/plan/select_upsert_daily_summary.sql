-- the reference's daily summary within the subset: a WITH query grouping per user per day, upserted on (user_id, summary_date)
EXPLAIN WITH daily AS (SELECT user_id, day AS summary_date, COUNT(*) AS total_events, SUM(amount) AS total_value FROM ev GROUP BY user_id, day)
BULK UPSERT INTO user_daily_summaries
SELECT user_id, summary_date, JSON_OBJECT('events', total_events, 'value', total_value) AS metrics FROM daily
ON CONFLICT (user_id, summary_date) DO UPDATE SET metrics = EXCLUDED.metrics;
