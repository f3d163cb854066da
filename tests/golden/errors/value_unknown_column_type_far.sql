-- an unknown column type far from all
BULK INSERT INTO c (a GEOMETRY) VALUES (1);
