-- dry_run: read and count, nothing written
BULK DELETE FROM products USING 'keys.csv' AS v WHERE sku = v.sku WITH (dry_run = true, max_delete_count = 10);
