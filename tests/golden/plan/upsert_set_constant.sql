-- SET with a constant in UPSERT
BULK UPSERT INTO c (_id, name) VALUES (1, 'a') ON CONFLICT (_id) DO UPDATE SET status = 'seen', name = EXCLUDED.name;
