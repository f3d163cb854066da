-- DELETE ... USING 'file' with archival and a TTL
BULK DELETE FROM products USING 'keys.csv' AS v WHERE products.sku = v.sku WITH ARCHIVAL_STRATEGY (archive_collection = 'products_old', archive_reason = 'discontinued', retention_period = '30 days');
