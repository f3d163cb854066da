-- an unterminated double-quoted identifier
BULK INSERT INTO "c (a) VALUES (1);
