-- batch_size = 2 with 3 rows: two update commands
BULK UPSERT INTO c (_id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c') ON CONFLICT (_id) DO NOTHING WITH (batch_size = 2, ordered = FALSE);
