-- retention_period that is not a period
BULK DELETE FROM c WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'a', retention_period = 'forever');
