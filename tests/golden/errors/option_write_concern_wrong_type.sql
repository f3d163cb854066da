-- a boolean is not a write concern
BULK INSERT INTO c (a) VALUES (1) WITH (write_concern = TRUE);
