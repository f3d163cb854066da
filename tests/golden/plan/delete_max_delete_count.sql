-- max_delete_count: count first, refuse when more
BULK DELETE FROM c WHERE a = 1 WITH DELETE_OPTIONS (max_delete_count = 500);
