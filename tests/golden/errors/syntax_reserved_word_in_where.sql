-- a reserved word as a field in WHERE
BULK DELETE FROM c WHERE order = 1 AND in = 2;
