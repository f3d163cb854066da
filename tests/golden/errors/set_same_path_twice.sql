-- SET the same field twice
BULK UPDATE c SET a = 1, REMOVE a WHERE TRUE;
