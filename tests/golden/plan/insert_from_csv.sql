-- FROM 'file.csv': format from the name, header on, one templated insert step
BULK INSERT INTO c FROM 'data/users.csv';
