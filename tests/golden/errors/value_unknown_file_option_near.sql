-- an unknown file option near a known one
BULK INSERT INTO c FROM 'x.csv' (delimeter = ';');
