-- SET * FROM (VALUES ...) AS v: $set every column of v but _id
BULK UPDATE products SET * FROM (VALUES ('a', 1.5, 'x'), ('b', 2, 'y')) AS v(sku, price, note) WHERE products.sku = v.sku;
