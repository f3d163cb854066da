-- WHERE LOWER(name) is not a condition
BULK DELETE FROM c WHERE LOWER(name);
