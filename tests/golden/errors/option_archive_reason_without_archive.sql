-- archive_reason needs archive_collection
BULK DELETE FROM c WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_reason = 'old');
