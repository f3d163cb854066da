-- DO REPLACE needs key columns
BULK UPSERT INTO products (sku) VALUES ('a') ON CONFLICT DO REPLACE;
