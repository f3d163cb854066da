-- every update operator of the lowering table in one SET list
BULK UPDATE products
SET price = price * 1.1, stock = stock - 1, tags = JSON_ARRAY_APPEND(tags, '$', 'sale'),
    updated_at = CURRENT_TIMESTAMP, status = 'active', REMOVE legacy
WHERE category IN ('a', 'b') AND price BETWEEN 10 AND 20;
