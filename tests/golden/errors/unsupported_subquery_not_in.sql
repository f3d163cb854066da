-- NOT IN (SELECT ...) is not supported
BULK DELETE FROM c WHERE a NOT IN (SELECT id FROM d);
