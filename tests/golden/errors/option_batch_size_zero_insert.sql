-- batch_size = 0 is for UPDATE and DELETE only
BULK INSERT INTO c (a) VALUES (1) WITH (batch_size = 0);
