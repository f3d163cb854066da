-- a write concern string other than 'majority'
BULK INSERT INTO c (a) VALUES (1) WITH (write_concern = 'all');
