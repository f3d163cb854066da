-- option groups are parenthesised
BULK INSERT INTO c (a) VALUES (1) WITH BULK_OPTIONS batch_size = 1;
