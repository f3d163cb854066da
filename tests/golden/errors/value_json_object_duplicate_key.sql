-- JSON_OBJECT with a key given twice
BULK INSERT INTO c (a) VALUES (JSON_OBJECT('k', 1, 'k', 2));
