-- a bound document is data: a key starting with $ is refused, as in a JSON literal
BULK INSERT INTO c (a) VALUES (?);
