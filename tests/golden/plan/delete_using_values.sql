-- DELETE ... USING (VALUES ...): read what the rows match, delete exactly that
BULK DELETE FROM products USING (VALUES ('a'), ('b'), ('c')) AS v(sku) WHERE sku = v.sku AND status = 'old' WITH (batch_size = 2);
