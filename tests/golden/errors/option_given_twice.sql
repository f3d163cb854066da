-- an option given twice across groups
BULK INSERT INTO c (a) VALUES (1)
WITH BULK_OPTIONS (batch_size = 10)
WITH BATCH_CONFIG (batch_size = 20);
