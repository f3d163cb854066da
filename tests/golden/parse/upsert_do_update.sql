-- UPSERT ... ON CONFLICT (key) DO UPDATE SET
BULK UPSERT INTO users (_id, name, visits) VALUES (1, 'Ann', 1)
ON CONFLICT (_id) DO UPDATE SET name = EXCLUDED.name, visits = visits + 1;
