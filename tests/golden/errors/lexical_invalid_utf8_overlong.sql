-- an overlong encoding of "/" in a collection name
BULK INSERT INTO "a¿Øb" (a) VALUES (1);
