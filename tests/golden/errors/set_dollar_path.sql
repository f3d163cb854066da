-- a SET path with a part starting with $
BULK UPDATE c SET a."$inc" = 1 WHERE TRUE;
