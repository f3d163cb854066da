-- parse_threads: 1 to 64 (0 is not "the default": leave the option out)
BULK INSERT INTO c FROM 'data/events.ndjson' WITH (parse_threads = 0);
