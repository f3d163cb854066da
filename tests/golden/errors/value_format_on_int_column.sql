-- FORMAT on a type that takes none, located at FORMAT 'x'
BULK INSERT INTO c (n INT FORMAT '%d') FROM 'x.csv';
