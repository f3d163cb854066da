-- upsert_mode with a file: one templated upsert per row
BULK INSERT INTO c FROM 'users.ndjson' WITH (upsert_mode = TRUE, ordered = FALSE);
