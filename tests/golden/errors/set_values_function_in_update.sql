-- VALUES(col) in a BULK UPDATE SET over fields
BULK UPDATE c SET a = b + VALUES(d) WHERE TRUE;
