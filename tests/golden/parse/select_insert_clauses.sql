-- INSERT ... SELECT: aliases, a qualified field, WHERE, ORDER BY with directions, LIMIT
BULK INSERT INTO db1.dst (a, b) SELECT e.user_id AS who, amount FROM events AS e WHERE amount > 10 ORDER BY amount DESC, who ASC LIMIT 100 WITH (batch_size = 50);
