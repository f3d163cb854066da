-- db.coll in UPDATE
BULK UPDATE shop.products SET a = 1 WHERE TRUE WITH (batch_size = 0);
