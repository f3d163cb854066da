-- a reserved word as a SET target
BULK UPDATE c SET from = 1 WHERE TRUE;
