-- parse_threads: the threads that parse an NDJSON or CSV input, shown with the other options
BULK INSERT INTO c FROM 'data/events.ndjson' WITH (parse_threads = 4, ordered = true);
