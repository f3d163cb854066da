-- a condition after a WITH clause
BULK DELETE FROM c WHERE a = 1 WITH (batch_size = 10) AND b = 2;
