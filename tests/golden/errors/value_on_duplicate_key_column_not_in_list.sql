-- ON DUPLICATE KEY column not in the column list
BULK INSERT INTO c (a, b) VALUES (1, 2) ON DUPLICATE KEY (x) UPDATE b = 3;
