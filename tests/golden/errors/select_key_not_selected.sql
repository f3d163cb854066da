-- an ON CONFLICT key that the select list does not have
BULK UPSERT INTO t SELECT user_id AS u, COUNT(*) AS n FROM s GROUP BY user_id ON CONFLICT (user_id) DO UPDATE SET n = EXCLUDED.n;
