-- a field path part starting with $ in WHERE
BULK DELETE FROM c WHERE a."$where" = 1;
