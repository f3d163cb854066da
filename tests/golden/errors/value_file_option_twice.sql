-- a file option given twice
BULK INSERT INTO c FROM 'x.csv' (header = TRUE, header = FALSE);
