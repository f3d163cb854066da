-- an ON CONFLICT DO UPDATE item that needs a pipeline
BULK UPSERT INTO c (_id, a) VALUES (1, 2) ON CONFLICT (_id) DO UPDATE SET total = price * qty;
