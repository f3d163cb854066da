-- INSERT ... SELECT is not supported
BULK INSERT INTO c (a) SELECT a FROM d;
