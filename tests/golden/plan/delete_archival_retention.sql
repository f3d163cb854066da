-- retention_period: a TTL index on archivedAt first
BULK DELETE FROM logs WHERE level = 'debug'
WITH ARCHIVAL_STRATEGY (archive_collection = 'logs_archive', retention_period = '2 years')
WITH DELETE_OPTIONS (batch_size = 1000);
