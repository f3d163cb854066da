-- server_side applies to rows from SELECT
BULK INSERT INTO t (a) VALUES (1) WITH (server_side = true);
