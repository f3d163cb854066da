-- a misspelt INSERT after BULK
BULK INSRET INTO c (a) VALUES (1);
