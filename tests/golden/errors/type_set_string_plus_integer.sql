-- a type error in a SET value
BULK UPDATE c SET a = 'x' + 1 WHERE TRUE;
