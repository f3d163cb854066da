-- the :: cast is not supported
BULK INSERT INTO c (a) VALUES ('1'::int);
