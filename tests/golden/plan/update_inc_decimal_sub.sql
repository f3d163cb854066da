-- x = x - DECIMAL: $inc by the negated Decimal128
BULK UPDATE products SET price = price - DECIMAL '0.10' WHERE sku = 'a';
