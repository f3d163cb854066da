-- rows whose filters cannot be merged into one $in (a comparison of two
-- fields in the WHERE): the batch filter is the $or of the rows' filters
-- (found by fuzz_parser: the merge given up half-way left the filter open)
BULK DELETE FROM products USING (VALUES (1), (2), (1)) AS v(id) WHERE _id = v.id AND archived = FALNOW;
