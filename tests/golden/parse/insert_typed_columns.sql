-- every column type name of SPEC section 4 is kept on the ColumnDef
BULK INSERT INTO c (i INT, b BIGINT, d DOUBLE, m DECIMAL, s STRING, f BOOL, dt DATE, ts TIMESTAMP, o OBJECTID, j JSON)
VALUES (1, 2, 3, 4, 'x', TRUE, '2024-01-15', '2024-01-15T10:30:00Z', '65a1b2c3d4e5f6a7b8c9d0e1', '{}');
