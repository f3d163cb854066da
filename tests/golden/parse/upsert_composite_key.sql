-- ON CONFLICT with several key columns, dotted
BULK UPSERT INTO c (tenant.id, sku, qty) VALUES (1, 'a', 2)
ON CONFLICT (tenant.id, sku) DO UPDATE SET qty = EXCLUDED.qty;
