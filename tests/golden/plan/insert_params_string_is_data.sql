-- a bound string that looks like an operator stays a string
BULK INSERT INTO c (_id, q) VALUES (1, ?);
