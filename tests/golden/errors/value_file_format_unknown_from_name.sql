-- the format cannot be told from a .txt name
BULK INSERT INTO c FROM 'data.txt';
