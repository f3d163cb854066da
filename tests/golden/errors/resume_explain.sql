-- EXPLAIN needs the server to read the stored statement
EXPLAIN RESUME OPERATION '65a1f0c2e4b0a1b2c3d4e5f6';
