-- FORMAT after a column type: a date layout, a binary encoding
BULK INSERT INTO c (created TIMESTAMP FORMAT '%d/%m/%Y %H:%M', data BINARY FORMAT 'hex', day DATE) FROM 'x.csv';
