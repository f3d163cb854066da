-- USING 'file' needs an alias
BULK DELETE FROM products USING 'keys.csv' WHERE sku = 1;
