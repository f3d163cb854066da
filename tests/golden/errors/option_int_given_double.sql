-- an integer option given a decimal number
BULK INSERT INTO c (a) VALUES (1) WITH (batch_size = 10.5);
