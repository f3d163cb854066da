-- ? parameters are numbered from 1 in each statement
BULK INSERT INTO c (a, b) VALUES (?, ?);
BULK DELETE FROM c WHERE a = ?;
