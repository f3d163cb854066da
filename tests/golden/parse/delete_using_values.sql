-- DELETE ... USING (VALUES ...) AS v(col)
BULK DELETE FROM products USING (VALUES ('a'), ('b')) AS v(sku) WHERE sku = v.sku;
