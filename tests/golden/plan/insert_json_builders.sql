-- JSON_OBJECT and JSON_ARRAY computed on the client
BULK INSERT INTO c (a, b) VALUES (JSON_OBJECT('k', 1, 'nested', JSON_OBJECT('d', DATE '2024-01-15')), JSON_ARRAY(1, 'x', NULL, TRUE));
