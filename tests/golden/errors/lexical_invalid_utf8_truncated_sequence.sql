-- a UTF-8 sequence cut short inside a string
BULK INSERT INTO c (a) VALUES ('â‚');
