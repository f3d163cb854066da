-- a string option given a number
BULK DELETE FROM c WHERE TRUE WITH (archive_collection = 5);
