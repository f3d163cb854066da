-- COALESCE over fields in WHERE: $expr with $ifNull
BULK UPDATE c SET hit = TRUE WHERE COALESCE(a, b) = 1 WITH (batch_size = 0);
