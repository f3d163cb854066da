-- an interval compared with a field
BULK DELETE FROM c WHERE created_at < INTERVAL '1 day';
