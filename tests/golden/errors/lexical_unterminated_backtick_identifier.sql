-- an unterminated backtick identifier
BULK INSERT INTO c (`a) VALUES (1);
