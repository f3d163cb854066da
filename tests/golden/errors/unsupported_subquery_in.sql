-- IN (SELECT ...) is not supported
BULK DELETE FROM c WHERE a IN (SELECT id FROM d);
