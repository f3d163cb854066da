-- a negative batch_size
BULK DELETE FROM c WHERE TRUE WITH (batch_size = -1);
