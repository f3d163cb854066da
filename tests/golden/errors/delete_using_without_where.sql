-- DELETE ... USING still needs WHERE
BULK DELETE FROM products USING 'keys.csv' AS v;
