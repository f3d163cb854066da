-- every row failing CHECK: no insert step at all
BULK INSERT INTO c (_id, qty) VALUES (1, -1), (2, -2) CHECK (qty > 0);
