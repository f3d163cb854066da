-- a bare word is text, not an integer
BULK INSERT INTO c (a) VALUES (1) WITH (batch_size = lots);
