-- journal = TRUE alone becomes writeConcern {j: true}
BULK INSERT INTO c (_id) VALUES (1) WITH (journal = TRUE);
