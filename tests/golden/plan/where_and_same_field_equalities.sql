-- a = 1 AND a = 2 keeps both equalities under $and
BULK UPDATE c SET hit = TRUE WHERE x = 1 AND x = 2 WITH (batch_size = 0);
