-- a pipeline upsert keyed on _id: the document existed when it has more fields than the key gives a new one; from a file, with placeholders
EXPLAIN BULK UPSERT INTO docs FROM 'rows.ndjson' ON CONFLICT (_id) DO UPDATE SET hits = COALESCE(hits, 0) + EXCLUDED.hits, last = GREATEST(last, EXCLUDED.last);
