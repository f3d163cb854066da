-- retention_period as a bare number
BULK DELETE FROM c WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'a', retention_period = 30);
