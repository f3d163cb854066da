-- every literal kind lowers to its BSON type
BULK INSERT INTO c (s, t, f, n, d, ts, dec, oid, doc, arr)
VALUES ('it''s', TRUE, FALSE, NULL, DATE '2024-01-15', TIMESTAMP '2024-01-15T10:30:00Z', DECIMAL '1.10',
        OBJECTID('65a1b2c3d4e5f6a7b8c9d0e1'), {"k": 1}, [1, "x"]);
