-- several WITH groups, each with its own name, in order
BULK INSERT INTO c (a) VALUES (1)
WITH BULK_OPTIONS (batch_size = 10, ordered = FALSE)
WITH BATCH_CONFIG (retry_attempts = 5)
WITH OPTIONS (dry_run = TRUE);
