-- upsert_mode is an INSERT option
BULK UPDATE c SET a = 1 WHERE TRUE WITH (upsert_mode = TRUE);
