-- skip_lines cannot be negative
BULK INSERT INTO c FROM 'x.csv' (skip_lines = -1);
