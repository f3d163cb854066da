-- dry_run = TRUE marks the plan; nothing is written
BULK INSERT INTO c (_id) VALUES (1) WITH (dry_run = TRUE);
