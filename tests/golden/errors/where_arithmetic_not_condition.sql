-- WHERE price + 1 is not a condition
BULK DELETE FROM c WHERE price + 1;
