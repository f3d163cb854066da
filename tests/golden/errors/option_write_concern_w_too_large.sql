-- w above 50
BULK INSERT INTO c (a) VALUES (1) WITH (write_concern = 51);
