-- a SET value that is a JSON document with a $-key
BULK UPDATE c SET a = {"$inc": {"n": 1}} WHERE TRUE;
