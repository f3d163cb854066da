-- IS NULL: $eq null; IS NOT NULL: $ne null
BULK UPDATE c SET hit = TRUE WHERE a IS NULL AND b IS NOT NULL WITH (batch_size = 0);
