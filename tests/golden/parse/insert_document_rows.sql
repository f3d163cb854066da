-- without a column list each VALUES row is one document (JSON literal)
BULK INSERT INTO events VALUES ({"a": 1}), ({b: 'x'});
