-- a join that is not an equality does not tie a row to its documents
BULK UPDATE products SET price = v.price FROM (VALUES ('a', 2.5)) AS v(sku, price) WHERE price < v.price;
