-- JSON_OBJECT with a $-key over fields
BULK UPDATE c SET a = JSON_OBJECT('$x', price) WHERE TRUE;
