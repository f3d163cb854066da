-- ON DUPLICATE KEY UPDATE: unordered insert, then update rejected rows on _id
BULK INSERT INTO c (_id, n, name) VALUES (1, 2, 'a'), (2, 3, 'b')
ON DUPLICATE KEY UPDATE n = n + EXCLUDED.n, name = VALUES(name), seen = CURRENT_TIMESTAMP;
