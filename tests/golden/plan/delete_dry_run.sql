-- dry_run: only count
BULK DELETE FROM c WHERE a = 1 WITH DELETE_OPTIONS (dry_run = TRUE);
