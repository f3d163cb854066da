-- JSON_ARRAY_APPEND of a constant that is not an array
BULK INSERT INTO c (a) VALUES (JSON_ARRAY_APPEND('x', '$', 1));
