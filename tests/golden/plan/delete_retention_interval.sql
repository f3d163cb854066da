-- retention_period as an INTERVAL literal
BULK DELETE FROM logs WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'a', retention_period = INTERVAL '90 days');
