-- ON DUPLICATE KEY UPDATE with EXCLUDED.col and MySQL's VALUES(col)
BULK INSERT INTO c (_id, n, tags) VALUES (1, 2, '[]')
ON DUPLICATE KEY UPDATE n = n + EXCLUDED.n, tags = VALUES(tags);
