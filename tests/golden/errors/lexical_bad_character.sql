-- a character that starts no token
BULK DELETE FROM c WHERE a = @b;
