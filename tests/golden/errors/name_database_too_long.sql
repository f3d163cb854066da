-- a database name of 64 bytes is over the server's limit
BULK INSERT INTO dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.c (_id) VALUES (1);
