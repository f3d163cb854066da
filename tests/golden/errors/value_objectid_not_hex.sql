-- OBJECTID with non-hex digits
BULK INSERT INTO c (_id) VALUES (OBJECTID('zza1b2c3d4e5f6a7b8c9d0e1'));
