-- an encoded UTF-16 surrogate
BULK INSERT INTO c (a) VALUES ('í €');
