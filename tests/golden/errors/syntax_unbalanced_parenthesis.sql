-- a closing parenthesis too many
BULK DELETE FROM c WHERE (a = 1));
