-- an unknown group name with no near one
BULK INSERT INTO c (a) VALUES (1) WITH TUNING (batch_size = 1);
