-- journal combines with a write_concern number
BULK INSERT INTO c (_id) VALUES (1) WITH (journal = FALSE, write_concern = 3);
