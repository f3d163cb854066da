-- WHERE TRUE: the empty filter, all documents
BULK UPDATE c SET a = 1 WHERE TRUE WITH (batch_size = 0);
