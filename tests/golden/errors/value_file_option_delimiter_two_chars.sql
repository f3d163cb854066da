-- delimiter is one character
BULK INSERT INTO c FROM 'x.csv' (delimiter = ';;');
