-- ON CONFLICT key given twice
BULK UPSERT INTO c (a, b) VALUES (1, 2) ON CONFLICT (a, a) DO NOTHING;
