-- SET a and a.b in one statement
BULK UPDATE c SET a = 1, a.b = 2 WHERE TRUE;
