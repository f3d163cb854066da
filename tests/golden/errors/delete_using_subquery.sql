-- no subqueries
BULK DELETE FROM products USING (SELECT sku FROM x) AS v WHERE sku = v.sku;
