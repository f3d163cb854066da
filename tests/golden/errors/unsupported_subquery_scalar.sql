-- a scalar subquery is not supported
BULK UPDATE c SET a = (SELECT max(x) FROM d) WHERE TRUE;
