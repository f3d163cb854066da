-- UPSERT ... ON CONFLICT (keys) DO NOTHING
BULK UPSERT INTO users (email, name) VALUES ('a@x', 'Ann') ON CONFLICT (email) DO NOTHING;
