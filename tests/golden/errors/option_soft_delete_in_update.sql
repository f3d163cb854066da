-- soft_delete is a DELETE option
BULK UPDATE c SET a = 1 WHERE TRUE WITH (soft_delete = TRUE);
