-- DO NOTHING: $setOnInsert of the whole row
BULK UPSERT INTO users (email, name) VALUES ('a@x', 'Ann') ON CONFLICT (email) DO NOTHING;
