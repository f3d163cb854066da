-- ON DUPLICATE KEY (cols) names the key columns
BULK INSERT INTO stock (sku, region, qty) VALUES ('a', 'eu', 1)
ON DUPLICATE KEY (sku, region) UPDATE qty = qty + 1;
