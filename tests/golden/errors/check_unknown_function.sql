-- an unknown function in CHECK is refused at its name
BULK INSERT INTO c (a) VALUES ('x') CHECK (length(a) > 0);
