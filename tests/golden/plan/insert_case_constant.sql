-- CASE over constants is computed on the client
BULK INSERT INTO c (a, b, d) VALUES (CASE WHEN 1 > 2 THEN 'x' ELSE 'y' END, CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END, CASE WHEN FALSE THEN 1 END);
