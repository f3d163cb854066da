-- checkpoint_interval at least 1
BULK INSERT INTO c (a) VALUES (1) WITH (checkpoint_interval = 0);
