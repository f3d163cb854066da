-- BOOL columns take true/false words and 1/0 text
BULK INSERT INTO c (a BOOL, b BOOL, d BOOL, e BOOL) VALUES ('TRUE', 'f', '1', 'no');
