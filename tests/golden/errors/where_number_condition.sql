-- WHERE 1 is not a condition
BULK DELETE FROM c WHERE 1;
