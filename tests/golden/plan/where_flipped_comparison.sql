-- value op field is flipped: 5 < price is price > 5
BULK UPDATE c SET hit = TRUE WHERE 5 < price AND 10 >= qty AND 'x' = name WITH (batch_size = 0);
