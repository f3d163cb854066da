-- soft_delete and archive_collection exclude each other
BULK DELETE FROM c WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'a') WITH DELETE_OPTIONS (soft_delete = TRUE);
