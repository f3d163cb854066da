-- an interval is not a storable value
BULK UPDATE c SET a = INTERVAL '1 day' WHERE TRUE;
