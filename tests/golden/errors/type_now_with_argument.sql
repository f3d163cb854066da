-- NOW takes no argument
BULK INSERT INTO c (a) VALUES (NOW(1));
