-- CHECK in UPSERT: failing rows are listed, the others upserted
BULK UPSERT INTO c (_id, age) VALUES (1, 30), (2, -1) CHECK (age >= 0) ON CONFLICT (_id) DO NOTHING;
