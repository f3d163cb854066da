-- SET * stands alone in ON CONFLICT too
BULK UPSERT INTO products (sku) VALUES ('a') ON CONFLICT (sku) DO UPDATE SET *, x = 1;
