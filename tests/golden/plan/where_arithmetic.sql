-- arithmetic on fields in WHERE: $expr
BULK UPDATE c SET hit = TRUE WHERE price * qty > 100 AND (a + b) / 2 >= 3 WITH (batch_size = 0);
