-- the delimiter and the quote must differ
BULK INSERT INTO c FROM 'x.csv' (delimiter = '"');
