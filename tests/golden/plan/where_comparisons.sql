-- each comparison lowers to its query operator, merged for distinct fields
BULK UPDATE c SET hit = TRUE WHERE a = 1 AND b <> 2 AND d < 3 AND e <= 4 AND f > 5 AND g >= 6 AND h != 'x' WITH (batch_size = 0);
