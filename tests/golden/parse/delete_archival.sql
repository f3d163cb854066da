-- DELETE with ARCHIVAL_STRATEGY and DELETE_OPTIONS groups
BULK DELETE FROM orders WHERE status = 'closed'
WITH ARCHIVAL_STRATEGY (archive_collection = 'orders_archive', archive_reason = 'closed', retention_period = '2 years')
WITH DELETE_OPTIONS (batch_size = 500, max_delete_count = 100000);
