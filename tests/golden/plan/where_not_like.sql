-- NOT LIKE: $not of the $regex
BULK UPDATE c SET hit = TRUE WHERE name NOT LIKE 'tmp%' WITH (batch_size = 0);
