-- a string that looks like an operator is compared as a string
BULK UPDATE c SET hit = TRUE WHERE name = '{"$gt": ""}' AND x = '$y' WITH (batch_size = 0);
