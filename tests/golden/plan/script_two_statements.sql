-- every statement of a script is planned, in order
BULK INSERT INTO a (_id) VALUES (1);
BULK DELETE FROM b WHERE x = 1 WITH (batch_size = 10);
