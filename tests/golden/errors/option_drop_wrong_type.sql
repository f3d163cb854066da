-- drop takes TRUE or FALSE
BULK INSERT INTO products (sku) VALUES ('a') WITH (drop = 'yes');
