-- drop is for the loads: INSERT and UPSERT
BULK UPDATE products SET price = 1 WHERE TRUE WITH (drop = true);
