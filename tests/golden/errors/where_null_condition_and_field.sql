-- a number inside AND is not a condition
BULK DELETE FROM c WHERE a = 1 AND 5;
