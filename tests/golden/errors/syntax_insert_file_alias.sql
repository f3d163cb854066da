-- AS after FROM 'file' only in BULK UPDATE
BULK INSERT INTO c FROM 'x.csv' AS v;
