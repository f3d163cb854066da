-- JSON_EXTRACT of a computed value over fields in WHERE
BULK DELETE FROM c WHERE JSON_EXTRACT(JSON_OBJECT('a', x), '$.a') = 1;
