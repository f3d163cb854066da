-- conditions as values in a pipeline: IN, BETWEEN, LIKE, IS NULL, EXISTS, NOT
BULK UPDATE c SET a = x IN (1, 2), b = y BETWEEN 1 AND 5, d = name LIKE 'A%', e = z IS NULL, f = EXISTS(w), g = NOT flag WHERE TRUE;
