-- server_side = true: only $merge (INSERT: whenMatched fail on _id; upsert_mode: merge; DO NOTHING: keepExisting; DO REPLACE: replace; SET *: merge; ON DUPLICATE KEY: the SET list)
EXPLAIN BULK INSERT INTO copy SELECT * FROM archive.ev WITH (server_side = true, drop = true);
EXPLAIN BULK INSERT INTO copy SELECT _id, kind FROM ev WITH (server_side = true, upsert_mode = true);
EXPLAIN BULK UPSERT INTO users SELECT DISTINCT user_id FROM ev ON CONFLICT (user_id) DO NOTHING WITH (server_side = true);
EXPLAIN BULK UPSERT INTO users SELECT user_id, MAX(ts) AS seen FROM ev GROUP BY user_id ON CONFLICT (user_id) DO REPLACE WITH (server_side = true);
EXPLAIN BULK UPSERT INTO users SELECT user_id, MAX(ts) AS seen FROM ev GROUP BY user_id ON CONFLICT (user_id) DO UPDATE SET * WITH (server_side = true);
EXPLAIN BULK INSERT INTO users (_id, seen) SELECT user_id, MAX(ts) FROM ev GROUP BY user_id ON DUPLICATE KEY UPDATE seen = GREATEST(seen, VALUES(seen)) WITH (server_side = true);
