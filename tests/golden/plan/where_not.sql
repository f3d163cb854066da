-- NOT: $nor of the condition
BULK UPDATE c SET hit = TRUE WHERE NOT (a = 1 OR b > 2) WITH (batch_size = 0);
