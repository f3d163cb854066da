-- BULK DELETE without WHERE, even with options, is refused
BULK DELETE FROM c WITH (batch_size = 10);
