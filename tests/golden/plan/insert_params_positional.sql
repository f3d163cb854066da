-- ? parameters bound by position
BULK INSERT INTO c (a, b, d) VALUES (?, ?, ?);
