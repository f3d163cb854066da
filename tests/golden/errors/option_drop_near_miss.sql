-- a near miss of drop
BULK INSERT INTO products (sku) VALUES ('a') WITH (dorp = true);
