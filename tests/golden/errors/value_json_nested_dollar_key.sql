-- a nested $-key in a JSON literal
BULK INSERT INTO c (a) VALUES ({x: [{"$where": "1"}]});
