-- an equality under OR is not a join: rows would match unrelated documents
BULK UPDATE products SET price = v.price FROM (VALUES ('a', 2.5)) AS v(sku, price) WHERE sku = v.sku OR status = 'open';
