-- DATE with an impossible day
BULK INSERT INTO c (a) VALUES (DATE '2023-02-29');
