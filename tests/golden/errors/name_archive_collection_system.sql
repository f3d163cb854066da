-- an archive in a system.* collection needs allow_system = true
BULK DELETE FROM orders WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'system.js');
