BULK INSERT INTO c (a) VALUES (1) WITH (bacth_size = 10);
