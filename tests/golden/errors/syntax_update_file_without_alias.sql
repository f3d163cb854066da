-- BULK UPDATE ... FROM 'file' needs AS v
BULK UPDATE c SET a = 1 FROM 'x.csv' WHERE TRUE;
