-- an aggregate in a VALUES row
BULK INSERT INTO t (a) VALUES (COUNT(*));
