-- COALESCE over fields: $ifNull
BULK UPDATE c SET nick = COALESCE(nick, name, 'anon'), one = COALESCE(x) WHERE TRUE;
