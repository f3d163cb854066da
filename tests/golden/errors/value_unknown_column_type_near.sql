-- an unknown column type near a known one
BULK INSERT INTO c (a INTT) VALUES (1);
