-- a field alone as a condition means field = TRUE
BULK UPDATE c SET hit = TRUE WHERE active AND NOT archived WITH (batch_size = 0);
