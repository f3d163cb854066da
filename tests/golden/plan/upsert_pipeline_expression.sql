-- an ON CONFLICT DO UPDATE item over stored fields: a pipeline upsert, keyed on _id
EXPLAIN BULK UPSERT INTO c (_id, a) VALUES (1, 2) ON CONFLICT (_id) DO UPDATE SET total = price * qty;
