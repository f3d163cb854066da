-- INSERT ... SELECT: the pipeline ($match, $project of the fields read, $sort, $limit) and the row template (aliases, a nested field, JSON_OBJECT of fields and constants)
EXPLAIN BULK INSERT INTO buys SELECT user_id AS who, amount, device.type, JSON_OBJECT('day', day, 'source', 'ev', 'n', 1) AS info FROM ev WHERE kind = 'buy' AND amount >= 5 ORDER BY amount DESC LIMIT 4 WITH (batch_size = 3);
