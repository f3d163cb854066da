-- drop = true: the drop command before the first batch
BULK INSERT INTO products (sku) VALUES ('a') WITH (drop = true);
