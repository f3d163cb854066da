-- .tsv: tab delimiter
BULK INSERT INTO c FROM 'data.tsv';
