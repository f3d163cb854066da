-- .jsonl is NDJSON; COMPRESSION NONE on a .gz name turns gzip off
BULK INSERT INTO c FROM 'a.jsonl';
BULK INSERT INTO c FROM 'b.ndjson.gz' COMPRESSION NONE;
