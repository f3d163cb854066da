-- SET * stands alone
BULK UPDATE products SET *, price = 1 FROM 'p.csv' AS v WHERE sku = v.sku;
