-- integers stay int32 while they fit, then int64; decimals are doubles
BULK INSERT INTO c (a, b, d, e, f) VALUES (1, 2147483647, 2147483648, -2147483649, 1.5);
