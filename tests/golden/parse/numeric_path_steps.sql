-- numeric steps in paths: items.0.price, a.1.b.22
BULK UPDATE c SET items.0.price = 5 WHERE a.1.b.22 = 'x';
