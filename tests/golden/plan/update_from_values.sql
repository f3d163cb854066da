-- FROM (VALUES ...) AS v: one updateOne per row, filter from the join
BULK UPDATE products SET price = v.price, updated = CURRENT_TIMESTAMP
FROM (VALUES ('a', 1.5), ('b', 2)) AS v(sku, price)
WHERE sku = v.sku;
