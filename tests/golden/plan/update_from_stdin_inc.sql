-- FROM STDIN FORMAT NDJSON AS v: $inc from the row, placeholders for the row values
BULK UPDATE c SET n = n + v.n FROM STDIN FORMAT NDJSON AS v WHERE _id = v.id AND status = 'open';
