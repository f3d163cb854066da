-- an unknown group name near a valid one
BULK INSERT INTO c (a) VALUES (1) WITH BULK_OPTION (batch_size = 1);
