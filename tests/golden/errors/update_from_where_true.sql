-- WHERE TRUE with FROM would update one arbitrary document per incoming row
BULK UPDATE c SET a = v.a FROM (VALUES (1, 2)) AS v(id, a) WHERE TRUE;
