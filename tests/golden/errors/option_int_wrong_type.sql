-- an integer option given a string
BULK INSERT INTO c (a) VALUES (1) WITH (batch_size = 'ten');
