-- an unknown function inside a CASE in a pipeline update
BULK UPDATE c SET a = CASE WHEN b > 1 THEN frob(b) ELSE 0 END WHERE TRUE;
