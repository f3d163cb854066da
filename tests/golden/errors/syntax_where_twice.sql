-- WHERE given twice
BULK DELETE FROM c WHERE a = 1 WHERE b = 2;
