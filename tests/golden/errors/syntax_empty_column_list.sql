-- an empty column list
BULK INSERT INTO c () VALUES (1);
