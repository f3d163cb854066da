-- max_delete_count is a DELETE option
BULK UPSERT INTO c (a) VALUES (1) ON CONFLICT (a) DO NOTHING WITH (max_delete_count = 10);
