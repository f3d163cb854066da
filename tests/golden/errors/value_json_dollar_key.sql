-- a $-key in a JSON literal value is refused
BULK INSERT INTO c (a) VALUES ({"$gt": 1});
