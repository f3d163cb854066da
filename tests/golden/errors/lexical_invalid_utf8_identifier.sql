-- invalid UTF-8 (Latin-1 e acute) in a quoted identifier; the first statement writes nothing
BULK INSERT INTO ok (a) VALUES (1);
BULK INSERT INTO c ("café") VALUES (1);
