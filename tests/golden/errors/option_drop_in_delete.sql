-- drop is for the loads: INSERT and UPSERT
BULK DELETE FROM products USING 'k.csv' AS v WHERE sku = v.sku WITH (drop = true);
