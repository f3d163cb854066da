-- IN with NULL in the list: $in with null (null or missing, as x = NULL)
BULK UPDATE c SET hit = TRUE WHERE a IN (1, NULL) WITH (batch_size = 0);
