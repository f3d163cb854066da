-- CASE WHEN ... THEN ... ELSE ... END
BULK UPDATE c SET tier = CASE WHEN total > 100 THEN 'gold' WHEN total > 10 THEN 'silver' ELSE 'none' END WHERE TRUE;
