-- soft_delete with USING: $set deleted_at on exactly what was read
BULK DELETE FROM products USING 'keys.csv' AS v WHERE sku = v.sku WITH (soft_delete = true);
