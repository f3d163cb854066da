-- FORMAT, COMPRESSION and a file option list on one FROM 'path'
BULK INSERT INTO c (a, b) FROM 'dump.dat' FORMAT CSV COMPRESSION GZIP (delimiter = ';', header = FALSE);
