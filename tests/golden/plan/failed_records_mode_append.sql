-- failed_records_mode is shown when given
BULK INSERT INTO c (_id) VALUES (1) WITH (failed_records_file = '/tmp/f.ndjson', failed_records_mode = 'append');
