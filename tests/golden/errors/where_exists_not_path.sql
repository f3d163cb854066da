-- EXISTS of an expression
BULK DELETE FROM c WHERE EXISTS(a + 1);
