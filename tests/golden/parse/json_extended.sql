-- Extended JSON is kept as text in the AST
BULK INSERT INTO c (a, b) VALUES ({"$date": "2024-01-15T10:30:00Z"}, {"$numberDecimal": "1.10"});
