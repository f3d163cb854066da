-- DATE column with a non-date
BULK INSERT INTO c (a DATE) VALUES ('yesterday');
