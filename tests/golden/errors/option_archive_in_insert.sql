-- archive_collection is a DELETE option
BULK INSERT INTO c (a) VALUES (1) WITH (archive_collection = 'x');
