-- x = x + n, x = n + x and x = x - n become $inc
BULK UPDATE c SET a = a + 1, b = 5 + b, d = d - 2.5, e = e - -3 WHERE TRUE;
