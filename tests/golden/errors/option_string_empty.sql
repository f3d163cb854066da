-- archive_collection cannot be empty
BULK DELETE FROM c WHERE TRUE WITH (archive_collection = '');
