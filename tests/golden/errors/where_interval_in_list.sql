-- an interval in an IN list
BULK DELETE FROM c WHERE d IN (INTERVAL '1 day');
