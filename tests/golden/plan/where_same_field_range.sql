-- two conditions on one field: $and keeps both
BULK UPDATE c SET hit = TRUE WHERE price > 1 AND price < 5 WITH (batch_size = 0);
