-- batch_size sets the find cursor's batchSize
BULK UPDATE c SET a = 1 WHERE b = 2 WITH (batch_size = 250);
