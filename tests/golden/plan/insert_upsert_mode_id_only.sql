-- upsert_mode with a row that has only _id: $setOnInsert {_id}
BULK INSERT INTO c (_id) VALUES (1) WITH (upsert_mode = TRUE);
