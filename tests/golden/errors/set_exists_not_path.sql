-- EXISTS of an expression in a pipeline
BULK UPDATE c SET a = EXISTS(b || 'x') WHERE TRUE;
