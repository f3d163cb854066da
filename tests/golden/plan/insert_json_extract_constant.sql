-- JSON_EXTRACT and JSON_ARRAY_APPEND of constants
BULK INSERT INTO c (a, b, d) VALUES (JSON_EXTRACT({a: {b: [1, 2]}}, '$.a.b[1]'), JSON_EXTRACT({a: 1}, '$.zz'), JSON_ARRAY_APPEND([1, 2], '$', 3));
