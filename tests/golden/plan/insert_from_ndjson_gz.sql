-- .ndjson.gz: NDJSON, gzip-compressed
BULK INSERT INTO c FROM 'events.ndjson.gz' WITH (batch_size = 500);
