-- key columns come from the column list
BULK UPSERT INTO products (sku) VALUES ('a') ON CONFLICT (id) DO REPLACE;
