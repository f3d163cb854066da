-- an archive named $cmd fails at plan time
BULK DELETE FROM orders WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = '$cmd');
