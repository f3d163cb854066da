-- constants become $set, typed
BULK UPDATE c SET s = 'x', i = 1, d = 2.5, b = TRUE, t = TIMESTAMP '2024-01-15T00:00:00Z', doc = {a: 1} WHERE _id = 1;
