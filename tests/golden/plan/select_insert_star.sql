-- SELECT *: each document of the cursor is the row, _id included; a source in another database
EXPLAIN BULK INSERT INTO copy SELECT * FROM archive.ev WHERE user_id = 'u1' ORDER BY _id;
