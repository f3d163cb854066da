-- retention_period needs archive_collection
BULK DELETE FROM c WHERE TRUE WITH DELETE_OPTIONS (retention_period = '30 days');
