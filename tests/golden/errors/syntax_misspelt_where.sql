-- a misspelt WHERE
BULK DELETE FROM c WHRE a = 1;
