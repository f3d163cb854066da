-- rows naming the same value: one $in entry each, the filter merged
BULK DELETE FROM products USING (VALUES (1), (2), (1)) AS v(id) WHERE _id = v.id AND archived = FALSE;
