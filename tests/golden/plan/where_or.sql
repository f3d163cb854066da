-- OR: $or of the parts
BULK UPDATE c SET hit = TRUE WHERE a = 1 OR b = 2 OR (d = 3 AND e = 4) WITH (batch_size = 0);
