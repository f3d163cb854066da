-- an OR does not tie each row to its documents
BULK DELETE FROM products USING (VALUES ('a')) AS v(sku) WHERE sku = v.sku OR status = 'old';
