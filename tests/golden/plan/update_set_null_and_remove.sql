-- x = NULL is $set null; REMOVE x is $unset
BULK UPDATE c SET a = NULL, REMOVE b, REMOVE d.e WHERE TRUE;
