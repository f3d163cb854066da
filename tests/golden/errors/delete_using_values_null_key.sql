-- a NULL key in VALUES names no document (in MongoDB it would match every document without sku)
BULK DELETE FROM products USING (VALUES ('a'), (NULL)) AS v(sku) WHERE sku = v.sku;
