-- LIKE with a stored field as the pattern
BULK DELETE FROM c WHERE name LIKE pattern;
