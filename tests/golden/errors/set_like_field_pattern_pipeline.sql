-- LIKE with a field pattern as a SET value
BULK UPDATE c SET m = name LIKE pattern WHERE TRUE;
