-- an option value cannot read a field
BULK INSERT INTO c (a) VALUES (1) WITH (batch_size = price + 1);
