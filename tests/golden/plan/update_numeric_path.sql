-- numeric path steps address array elements
BULK UPDATE c SET items.0.price = 5 WHERE items.1.qty > 2;
