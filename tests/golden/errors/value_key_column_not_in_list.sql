-- ON CONFLICT key not in the column list
BULK UPSERT INTO c (a, b) VALUES (1, 2) ON CONFLICT (d) DO NOTHING;
