-- constant arithmetic on the client: int32, int64 promotion, / as double, %
BULK INSERT INTO c (a, b, d, e, f, g) VALUES (1 + 2 * 3, 2147483647 + 1, 7 / 2, 7 % 3, -(5), 1.5 * 2);
