-- UPSERT from a file: one templated upsert per row
BULK UPSERT INTO c FROM 'users.ndjson' ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name;
