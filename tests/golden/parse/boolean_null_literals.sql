-- TRUE, FALSE and NULL in any case
BULK INSERT INTO c (a, b, d) VALUES (TRUE, false, Null);
