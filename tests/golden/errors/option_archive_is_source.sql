-- the archive cannot be the collection deleted from
BULK DELETE FROM logs WHERE n > 1 WITH ARCHIVAL_STRATEGY (archive_collection = 'logs');
