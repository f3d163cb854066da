-- server_side = true cannot honour dry_run
BULK INSERT INTO t SELECT a FROM s WITH (server_side = true, dry_run = true);
