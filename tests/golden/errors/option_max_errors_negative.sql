-- max_errors cannot be negative
BULK INSERT INTO c (a) VALUES (1) WITH (max_errors = -5);
