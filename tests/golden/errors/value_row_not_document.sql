-- without a column list a row must be a document
BULK INSERT INTO c VALUES (1);
