-- computed columns go to $project as __cN fields; ORDER BY a computed column sorts on its field; a column list renames
EXPLAIN BULK INSERT INTO t (name, doubled, label) SELECT user_id, amount * 2, CONCAT(user_id, '-', kind) FROM ev ORDER BY amount * 2 DESC;
