-- FROM STDIN FORMAT ... AS v; file options and alias columns in one list
BULK UPDATE products SET price = v.price
FROM STDIN FORMAT CSV AS v (header = TRUE, sku, price DOUBLE)
WHERE sku = v.sku;
