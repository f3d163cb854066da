-- batch_size above 100000
BULK INSERT INTO c (a) VALUES (1) WITH (batch_size = 100001);
