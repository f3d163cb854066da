-- ordered = FALSE reaches the insert command
BULK INSERT INTO c (_id) VALUES (1) WITH BULK_OPTIONS (ordered = FALSE);
