-- FROM STDIN FORMAT NDJSON AS v: $inc from the row, placeholder for the row value
BULK UPDATE c SET n = n + v.n FROM STDIN FORMAT NDJSON AS v WHERE status = 'open';
