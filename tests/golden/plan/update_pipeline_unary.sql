-- unary minus over a field: $multiply by -1
BULK UPDATE c SET a = -b, d = +e WHERE TRUE;
