-- typed alias columns convert the rows
BULK UPDATE c SET at = v.at FROM (VALUES ('1', '2024-01-15T10:30:00Z')) AS v(id INT, at TIMESTAMP) WHERE _id = v.id;
