-- x = x + v.col becomes $inc with the row's value
BULK UPDATE stock SET qty = qty + v.delta FROM (VALUES ('a', 5), ('b', -2)) AS v(sku, delta) WHERE sku = v.sku AND active = TRUE;
