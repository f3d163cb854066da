-- CASE over fields in a pipeline: $switch
BULK UPDATE c SET tier = CASE WHEN total > 100 THEN 'gold' WHEN total > 10 THEN 'silver' ELSE 'none' END WHERE TRUE;
