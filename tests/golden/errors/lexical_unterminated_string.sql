-- an unterminated string literal
BULK INSERT INTO c (a) VALUES ('abc);
