-- failed_records_mode is 'append' or 'overwrite'
BULK INSERT INTO c (_id) VALUES (1) WITH (failed_records_file = '/tmp/f.ndjson', failed_records_mode = 'truncate');
