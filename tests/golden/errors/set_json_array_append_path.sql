-- JSON_ARRAY_APPEND with a path other than '$'
BULK UPDATE c SET tags = JSON_ARRAY_APPEND(tags, '$.x', 1) WHERE TRUE;
