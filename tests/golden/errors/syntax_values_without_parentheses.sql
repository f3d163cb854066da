-- VALUES rows are parenthesised
BULK INSERT INTO c (a) VALUES 1, 2;
