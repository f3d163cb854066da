-- DO REPLACE: replaceOne(filter on the keys, the row, upsert)
BULK UPSERT INTO products (_id, sku, price) VALUES (1, 'a', 1.5), (2, 'b', 2) ON CONFLICT (sku) DO REPLACE;
