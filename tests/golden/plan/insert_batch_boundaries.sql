-- batch_size = 2 with 5 rows: three insert commands with their row ranges
BULK INSERT INTO c (_id) VALUES (1), (2), (3), (4), (5) WITH BATCH_CONFIG (batch_size = 2);
