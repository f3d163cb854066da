-- a malformed Extended JSON date
BULK INSERT INTO c (a) VALUES ({"$date": "yesterday"});
