-- CHECK failing some rows: they are listed as failed, the others inserted
BULK INSERT INTO c (_id, qty) VALUES (1, 5), (2, -1), (3, 0), (4, 7) CHECK (qty > 0);
