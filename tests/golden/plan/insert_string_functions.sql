-- ||, CONCAT (skips NULL, texts numbers), LOWER, UPPER, COALESCE
BULK INSERT INTO c (a, b, d, e, f, g) VALUES ('a' || 'b', CONCAT('x', NULL, 1, 2.5), LOWER('ÀBC'), UPPER('abc'), COALESCE(NULL, 'd'), 'n' || NULL);
