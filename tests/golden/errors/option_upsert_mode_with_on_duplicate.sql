-- upsert_mode and ON DUPLICATE KEY UPDATE exclude each other
BULK INSERT INTO c (_id, a) VALUES (1, 2) ON DUPLICATE KEY UPDATE a = 3 WITH (upsert_mode = TRUE);
