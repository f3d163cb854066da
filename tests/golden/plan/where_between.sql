-- BETWEEN: $gte + $lte; NOT BETWEEN: $not of the range
BULK UPDATE c SET hit = TRUE WHERE a BETWEEN 1 AND 10 AND b NOT BETWEEN 'a' AND 'm' WITH (batch_size = 0);
