-- the smallest INSERT with a column list
BULK INSERT INTO users (_id, name) VALUES (1, 'Ann'), (2, 'Bob');
