-- JSON_ARRAY_APPEND with a path other than '$', in a pipeline on another field
BULK UPDATE c SET a = JSON_ARRAY_APPEND(b, '$[0]', 1) WHERE TRUE;
