-- max_delete_count: a first pass counts the documents the rows match
BULK DELETE FROM products USING STDIN FORMAT NDJSON AS v WHERE _id = v.id WITH DELETE_OPTIONS (max_delete_count = 100);
