-- a type error in a WHERE value
BULK DELETE FROM c WHERE a = 'x' + 1;
