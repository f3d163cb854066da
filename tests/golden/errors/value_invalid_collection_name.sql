-- a collection name with $
BULK INSERT INTO "a$b" (x) VALUES (1);
