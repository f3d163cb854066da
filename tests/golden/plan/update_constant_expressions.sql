-- expressions over constants are computed on the client
BULK UPDATE c SET a = 2 * 3, b = 'x' || 'y', d = CURRENT_DATE - INTERVAL '7 days', e = COALESCE(NULL, 1) WHERE TRUE;
