-- soft_delete keeps the batch structure: read the _ids, then mark them
BULK DELETE FROM users WHERE inactive = TRUE WITH DELETE_OPTIONS (soft_delete = TRUE, batch_size = 100);
