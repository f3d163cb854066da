-- ON DUPLICATE KEY (cols): rejected rows are matched on the listed columns
BULK INSERT INTO stock (sku, region, qty) VALUES ('a', 'eu', 1)
ON DUPLICATE KEY (sku, region) UPDATE qty = qty + EXCLUDED.qty
WITH (ordered = TRUE);
