-- an unterminated JSON literal
BULK INSERT INTO c (a) VALUES ({"k": [1, 2);
