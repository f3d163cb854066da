-- EXPLAIN plans the statement the same way
EXPLAIN BULK INSERT INTO c (_id) VALUES (1);
