-- batch_size = 0 in UPSERT
BULK UPSERT INTO c (a) VALUES (1) ON CONFLICT (a) DO NOTHING WITH (batch_size = 0);
