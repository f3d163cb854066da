-- IN and NOT IN lists: $in and $nin
BULK UPDATE c SET hit = TRUE WHERE a IN (1, 2, 'x') AND b NOT IN (DATE '2024-01-15', 'y') WITH (batch_size = 0);
