-- JSON_OBJECT with a $-key
BULK INSERT INTO c (a) VALUES (JSON_OBJECT('$set', 1));
