-- an interval is not a storable value
BULK INSERT INTO c (a) VALUES (INTERVAL '1 day');
