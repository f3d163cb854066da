-- an interval as a value in a pipeline update
BULK UPDATE c SET a = CASE WHEN b > 1 THEN INTERVAL '1 day' END WHERE TRUE;
