-- CHECK of an upsert reads the column list too
BULK UPSERT INTO c (_id, n) VALUES (1, 2) CHECK (m >= 0) ON CONFLICT (_id) DO NOTHING;
