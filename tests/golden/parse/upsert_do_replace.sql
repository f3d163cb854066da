-- ON CONFLICT DO REPLACE: a replaceOne upsert per row
BULK UPSERT INTO products (sku, price) VALUES ('a', 1) ON CONFLICT (sku) DO REPLACE;
