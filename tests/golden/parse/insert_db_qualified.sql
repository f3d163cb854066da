-- db.coll names the database and the collection
BULK INSERT INTO shop.orders (_id) VALUES (1);
