-- BULK DELETE without WHERE is refused
BULK DELETE FROM c;
