-- VALUES rows hold expressions
BULK INSERT INTO c (a, b, d) VALUES (1 + 2, 'x' || 'y', CASE WHEN TRUE THEN 1 END);
