-- IS NULL on a computed value: $expr with $ifNull
BULK UPDATE c SET hit = TRUE WHERE (a + b) IS NULL WITH (batch_size = 0);
