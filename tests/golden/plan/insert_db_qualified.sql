-- db.coll sets the namespace's database
BULK INSERT INTO shop.orders (_id) VALUES (1);
