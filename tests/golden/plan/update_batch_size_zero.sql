-- batch_size = 0: one unbatched update command
BULK UPDATE c SET a = 1 WHERE b = 2 WITH (batch_size = 0);
