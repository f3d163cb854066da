-- FROM file AS v with a WHERE that does not read the row: no join, refused
BULK UPDATE products SET price = v.price FROM 'prices.csv' AS v (sku STRING, price DOUBLE) WHERE status = 'open';
