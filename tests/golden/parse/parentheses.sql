-- parentheses override precedence and leave no node of their own
BULK UPDATE c SET r = (a + b) * (d - e) WHERE (x = 1 OR y = 2) AND z = 3;
