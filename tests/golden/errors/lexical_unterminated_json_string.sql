-- an unterminated string inside a JSON literal
BULK INSERT INTO c (a) VALUES ({"k: 1});
