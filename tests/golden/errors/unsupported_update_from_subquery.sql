-- UPDATE ... FROM (SELECT ...) is not supported
BULK UPDATE c SET a = v.a FROM (SELECT a FROM d) AS v WHERE TRUE;
