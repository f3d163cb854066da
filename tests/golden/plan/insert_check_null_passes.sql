-- a CHECK that is unknown (NULL) lets the row pass, as in SQL
BULK INSERT INTO c (_id, qty) VALUES (1, NULL), (2, 3) CHECK (qty > 0);
