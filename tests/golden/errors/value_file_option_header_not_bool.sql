-- header takes TRUE or FALSE
BULK INSERT INTO c FROM 'x.csv' (header = 'yes');
