-- mongosh-style JSON: bare keys, single quotes, escaped quote
BULK INSERT INTO c (a) VALUES ({name: 'O\'Brien', "n": 1.5, list: ['x', "y"], flag: false, none: null});
