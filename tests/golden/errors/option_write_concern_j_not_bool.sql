-- j must be a boolean
BULK INSERT INTO c (a) VALUES (1) WITH (write_concern = {j: 1});
