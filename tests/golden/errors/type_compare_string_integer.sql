-- a constant comparison of a string with an integer
BULK DELETE FROM c WHERE 'a' < 1;
