-- a CHECK name outside the column list would read as NULL and pass every row
BULK INSERT INTO c (a, b) VALUES (1, 2), (10, 3) CHECK (a > 0 AND zz > 5);
