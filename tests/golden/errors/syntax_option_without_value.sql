-- an option needs = value
BULK INSERT INTO c (a) VALUES (1) WITH (ordered);
