-- x = NULL and x <> NULL as null equality; x < NULL matches nothing
BULK UPDATE c SET hit = TRUE WHERE a = NULL AND b <> NULL WITH (batch_size = 0);
BULK UPDATE c SET hit = TRUE WHERE a < NULL WITH (batch_size = 0);
