-- EXPLAIN wraps a statement; its span starts at EXPLAIN
EXPLAIN BULK DELETE FROM c WHERE a = 1;
explain BULK INSERT INTO c (a) VALUES (1);
