-- batch_size = 0 without an archive: one unbatched delete over the filter
-- (no read of the _ids first), as the executor sends it; soft_delete too
BULK DELETE FROM c WHERE k = 1 WITH (batch_size = 0);
BULK DELETE FROM c WHERE k = 2 WITH (batch_size = 0, soft_delete = true);
