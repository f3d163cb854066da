-- INTERVAL literals in date arithmetic
BULK DELETE FROM c WHERE created_at < CURRENT_DATE - INTERVAL '7 days' AND expires > NOW() + INTERVAL '1 year 2 months';
