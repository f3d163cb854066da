-- DELETE ... USING STDIN with a typed alias column list
BULK DELETE FROM products USING STDIN FORMAT CSV (header = false) AS v (id INT) WHERE _id = v.id;
