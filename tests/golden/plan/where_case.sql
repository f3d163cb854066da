-- CASE as a condition: $expr with $switch
BULK UPDATE c SET hit = TRUE WHERE CASE WHEN kind = 'a' THEN n > 1 ELSE n > 2 END WITH (batch_size = 0);
