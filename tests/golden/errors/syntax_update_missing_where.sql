-- BULK UPDATE without WHERE is refused
BULK UPDATE c SET a = 1;
