-- OBJECTID('...') is a function call resolved by the planner
BULK INSERT INTO c (_id) VALUES (OBJECTID('65a1b2c3d4e5f6a7b8c9d0e1'));
