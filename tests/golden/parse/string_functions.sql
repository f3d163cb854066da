-- COALESCE, CONCAT, LOWER, UPPER and ||
BULK UPDATE c SET a = COALESCE(nick, name, 'anon'), b = CONCAT(first, ' ', last), d = LOWER(email), e = UPPER(code) || '-x' WHERE TRUE;
