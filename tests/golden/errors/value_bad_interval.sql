-- INTERVAL with an unknown unit
BULK DELETE FROM c WHERE d < NOW() - INTERVAL '3 fortnights';
