-- archival without a reason: archiveReason null
BULK DELETE FROM orders WHERE status = 'closed' WITH ARCHIVAL_STRATEGY (archive_collection = 'orders_archive');
