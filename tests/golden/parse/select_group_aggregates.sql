-- GROUP BY, HAVING, COUNT(*), COUNT(DISTINCT x), FILTER (WHERE ...), SELECT DISTINCT, a bare alias of FROM
BULK INSERT INTO s SELECT DISTINCT k FROM events ev;
BULK INSERT INTO s SELECT user_id, COUNT(*) AS n, COUNT(DISTINCT session_id) AS sessions, SUM(amount) FILTER (WHERE kind = 'buy') AS spent FROM events GROUP BY user_id, DATE(ts) HAVING COUNT(*) > 1;
