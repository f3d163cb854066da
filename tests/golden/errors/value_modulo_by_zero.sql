-- % by zero on the client
BULK UPDATE c SET a = 5 % 0 WHERE TRUE;
