-- JSON_EXTRACT of a computed value in a pipeline
BULK UPDATE c SET a = JSON_EXTRACT(JSON_OBJECT('k', price), '$.k') WHERE TRUE;
