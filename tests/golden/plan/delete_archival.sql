-- archival: read whole documents, archive them keyed by _id, then delete those _ids
BULK DELETE FROM orders WHERE status = 'closed'
WITH ARCHIVAL_STRATEGY (archive_collection = 'orders_archive', archive_reason = 'closed orders');
