-- an exponent without digits: the junk starts at the e
BULK INSERT INTO c (a) VALUES (1.5e+);
