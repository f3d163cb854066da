-- Extended JSON in literals becomes typed BSON values
BULK INSERT INTO c (a, b, d, e, f)
VALUES ({"$date": "2024-01-15T10:30:00Z"}, {"$oid": "65a1b2c3d4e5f6a7b8c9d0e1"}, {"$numberLong": "5"},
        {"$numberDecimal": "1.10"}, {"when": {"$date": {"$numberLong": "0"}}});
