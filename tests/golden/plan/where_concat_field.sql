-- || over a field in WHERE: $expr with $concat
BULK UPDATE c SET hit = TRUE WHERE first || last = 'ab' WITH (batch_size = 0);
