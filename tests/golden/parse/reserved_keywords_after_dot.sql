-- after a dot every keyword is a name
BULK UPDATE c SET meta.from = 1, meta.select = 2 WHERE doc.where = 3 AND doc.null IS NULL;
