-- a key of two columns filters on both
BULK UPSERT INTO stock (sku, region, qty) VALUES ('a', 'eu', 1) ON CONFLICT (sku, region) DO UPDATE SET qty = EXCLUDED.qty;
