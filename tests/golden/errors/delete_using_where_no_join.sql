-- DELETE ... USING needs a WHERE join to the alias
BULK DELETE FROM products USING 'keys.csv' AS v WHERE status = 'old';
