-- failed_records_mode needs failed_records_file
BULK INSERT INTO c (_id) VALUES (1) WITH (failed_records_mode = 'append');
