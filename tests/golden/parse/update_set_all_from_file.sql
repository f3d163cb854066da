-- SET * FROM 'file' AS v
BULK UPDATE products SET * FROM 'prices.csv' AS v WHERE products.sku = v.sku;
