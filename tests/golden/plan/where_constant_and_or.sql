-- constant parts drop out of AND and decide OR
BULK UPDATE c SET hit = TRUE WHERE (a = 1 AND TRUE) OR FALSE WITH (batch_size = 0);
BULK UPDATE c SET hit = TRUE WHERE a = 1 OR 1 = 1 WITH (batch_size = 0);
BULK UPDATE c SET hit = TRUE WHERE a = 1 AND 1 = 2 WITH (batch_size = 0);
