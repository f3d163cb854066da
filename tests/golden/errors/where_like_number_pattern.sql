-- LIKE with a number pattern
BULK DELETE FROM c WHERE name LIKE 5;
