-- DO UPDATE SET *: $set every column but _id and the keys, $setOnInsert those
BULK UPSERT INTO products (_id, sku, price, tags) VALUES (1, 'a', 1.5, ['x']), (2, 'b', 2, NULL) ON CONFLICT (sku) DO UPDATE SET *;
