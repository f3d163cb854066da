-- an unknown file option far from all
BULK INSERT INTO c FROM 'x.csv' (encoding = 'latin1');
