-- JSON_OBJECT with a key read from a field
BULK UPDATE c SET a = JSON_OBJECT(name, 1) WHERE TRUE;
