-- a numeric step in a column name is a document key, not an array index
BULK INSERT INTO c (_id, items.0.price) VALUES (1, 9.5);
