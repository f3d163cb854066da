-- server_side = false, or an option that needs the rows one by one, or a SET item a new document gets too: the cursor only
EXPLAIN BULK INSERT INTO copy SELECT user_id FROM ev WITH (server_side = false);
EXPLAIN BULK INSERT INTO copy SELECT user_id FROM ev WITH (ordered = false);
EXPLAIN BULK UPSERT INTO s SELECT user_id, COUNT(*) AS n FROM ev GROUP BY user_id ON CONFLICT (user_id) DO UPDATE SET n = n + EXCLUDED.n;
