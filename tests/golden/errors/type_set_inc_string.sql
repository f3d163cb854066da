-- x = x + 'a' is not a number increment
BULK UPDATE c SET n = n + 'a' WHERE TRUE;
