-- upsert_mode = TRUE: each row is an upsert on _id with $set of the other fields
BULK INSERT INTO c (_id, name, n) VALUES (1, 'a', 2), (2, 'b', 3) WITH (upsert_mode = TRUE);
