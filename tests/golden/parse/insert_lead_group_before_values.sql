-- option groups may come before the row source
BULK INSERT INTO c (a) WITH OPTIONS (ordered = TRUE) VALUES (1);
