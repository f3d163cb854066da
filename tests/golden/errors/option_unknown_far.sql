-- an unknown option with no near name
BULK INSERT INTO c (a) VALUES (1) WITH (frobnicate = 1);
