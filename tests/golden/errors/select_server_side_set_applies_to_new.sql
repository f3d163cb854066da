-- server_side = true with a SET item that an upsert applies to a new document too
BULK UPSERT INTO t SELECT a, COUNT(*) AS n FROM s GROUP BY a ON CONFLICT (a) DO UPDATE SET n = n + 1 WITH (server_side = true);
