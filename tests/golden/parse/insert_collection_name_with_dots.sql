-- after db., the rest of a dotted name is the collection (db.a.b)
BULK INSERT INTO shop.archive.orders (_id) VALUES (1);
