-- a decimal followed by letters
BULK INSERT INTO c (a) VALUES (1.5e3x);
