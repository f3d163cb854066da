-- VALUES rows need a column list
BULK DELETE FROM products USING (VALUES ('a')) AS v WHERE sku = v.sku;
