-- DELETE ... USING 'file' AS v (PostgreSQL's DELETE ... USING)
BULK DELETE FROM products USING 'keys.csv' AS v WHERE products.sku = v.sku WITH ARCHIVAL_STRATEGY (archive_collection = 'old');
