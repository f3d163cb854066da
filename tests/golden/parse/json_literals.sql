-- JSON objects and arrays are one token, nested, strict JSON
BULK INSERT INTO c (a, b) VALUES ({"x": [1, {"y": null}], "z": "s"}, [1, "two", [3]]);
