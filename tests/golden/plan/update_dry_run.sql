-- dry_run: count the matching documents, write nothing
BULK UPDATE c SET a = 1 WHERE b > 2 WITH (dry_run = TRUE);
