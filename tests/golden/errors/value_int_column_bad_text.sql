-- INT column with text that is not a number, named by column
BULK INSERT INTO c (a INT) VALUES ('12x');
