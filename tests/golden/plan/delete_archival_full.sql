-- archival with max_delete_count, retention and write options
BULK DELETE FROM orders WHERE created < DATE '2023-01-01'
WITH ARCHIVAL_STRATEGY (archive_collection = 'orders_old', archive_reason = 'aged', retention_period = '30 days')
WITH DELETE_OPTIONS (max_delete_count = 10000, batch_size = 200, write_concern = 'majority', ordered = FALSE);
