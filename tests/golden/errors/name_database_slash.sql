-- a database name with "/" (the message names the character)
BULK UPDATE "a/b".c SET x = 1 WHERE TRUE;
