-- two statements need a semicolon between them
BULK DELETE FROM a WHERE TRUE
BULK DELETE FROM b WHERE TRUE;
