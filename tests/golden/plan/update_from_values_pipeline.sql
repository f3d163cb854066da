-- a pipeline update per row, mixing a row value and fields
BULK UPDATE c SET total = price * v.qty FROM (VALUES (1, 3)) AS v(id, qty) WHERE _id = v.id;
