-- UPSERT from a file, with CHECK and options around ON CONFLICT
BULK UPSERT INTO users FROM 'users.ndjson'
CHECK (age >= 0)
ON CONFLICT (_id) DO NOTHING
WITH BULK_OPTIONS (ordered = FALSE);
