-- CONCAT, ||, LOWER, UPPER over fields
BULK UPDATE c SET full = CONCAT(first, ' ', last), tag = code || '-x', e = LOWER(email), u = UPPER(name) WHERE TRUE;
