-- dry_run does not drop: no drop step
BULK INSERT INTO products (sku) VALUES ('a') WITH (drop = true, dry_run = true);
