-- w = 0 is refused: unacknowledged writes cannot be counted
BULK INSERT INTO c (a) VALUES (1) WITH (write_concern = 0);
