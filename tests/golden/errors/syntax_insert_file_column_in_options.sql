-- a column in the file option list of INSERT
BULK INSERT INTO c FROM 'x.csv' (a INT);
