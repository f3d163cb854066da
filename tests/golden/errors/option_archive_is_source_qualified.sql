-- the archive of a db.coll target is compared within its database
BULK DELETE FROM app.logs WHERE TRUE
  WITH ARCHIVAL_STRATEGY (archive_reason = 'x', archive_collection = 'logs');
