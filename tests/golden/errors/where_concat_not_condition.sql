-- WHERE a || b is not a condition
BULK DELETE FROM c WHERE a || b;
