-- conflicting paths in ON DUPLICATE KEY UPDATE
BULK INSERT INTO c (_id, a) VALUES (1, 2) ON DUPLICATE KEY UPDATE a.b = 1, a = 2;
