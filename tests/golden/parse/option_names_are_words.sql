-- option names may be keywords
BULK DELETE FROM c WHERE TRUE WITH (from = 1, select = 2);
