-- 'a' + 1 is a type error
BULK INSERT INTO c (a) VALUES ('a' + 1);
