-- FROM (VALUES ...) AS v(cols) joins incoming rows
BULK UPDATE products SET price = v.price
FROM (VALUES ('a', 1.5), ('b', 2)) AS v(sku, price)
WHERE sku = v.sku;
