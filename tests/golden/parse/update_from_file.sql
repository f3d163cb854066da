-- FROM 'file' AS v with typed alias columns
BULK UPDATE products SET price = v.price
FROM 'prices.csv' AS v (sku STRING, price DOUBLE)
WHERE sku = v.sku;
