-- invalid UTF-8 in a bare identifier
BULK INSERT INTO cÿ (a) VALUES (1);
