-- the alias must not be the collection's name
BULK DELETE FROM products USING 'keys.csv' AS products WHERE sku = products.sku;
