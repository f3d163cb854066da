-- x = x * n and x = n * x become $mul
BULK UPDATE c SET a = a * 2, b = 1.5 * b WHERE TRUE;
