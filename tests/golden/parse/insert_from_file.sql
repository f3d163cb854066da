-- FROM 'path' with nothing else
BULK INSERT INTO c FROM 'data/users.csv';
