-- parameters in WHERE are values behind operators, even documents
BULK UPDATE c SET hit = TRUE WHERE a = ? AND b IN (:x, :y) WITH (batch_size = 0);
