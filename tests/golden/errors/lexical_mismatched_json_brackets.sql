-- a JSON literal closing [ with }
BULK INSERT INTO c (a) VALUES ({"k": [1, 2}});
