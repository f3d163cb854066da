-- LIKE on a computed value: $regexMatch
BULK UPDATE c SET hit = TRUE WHERE LOWER(name) LIKE 'a%' WITH (batch_size = 0);
