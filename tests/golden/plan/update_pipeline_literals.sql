-- in a pipeline, strings, documents and arrays are $literal so they never act as paths or operators
BULK UPDATE c SET a = CASE WHEN x > 1 THEN '$other' ELSE {k: 1} END, b = [1, 2] WHERE TRUE;
