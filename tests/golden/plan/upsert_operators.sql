-- ON CONFLICT DO UPDATE with $inc from the row, $push, $currentDate, $unset
BULK UPSERT INTO c (_id, n, tag) VALUES (1, 5, 'x')
ON CONFLICT (_id) DO UPDATE SET n = n + EXCLUDED.n, tags = JSON_ARRAY_APPEND(tags, '$', EXCLUDED.tag), seen = NOW(), REMOVE stale;
