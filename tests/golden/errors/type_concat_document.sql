-- || with a document
BULK INSERT INTO c (a) VALUES ('x' || {k: 1});
