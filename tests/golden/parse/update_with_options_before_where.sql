-- WITH groups may come before or after WHERE
BULK UPDATE c SET a = 1 WITH (batch_size = 0) WHERE b = 2 WITH BULK_OPTIONS (ordered = FALSE);
