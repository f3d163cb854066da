-- FROM (VALUES ...) AS v needs its column names
BULK UPDATE c SET a = v.a FROM (VALUES (1)) AS v WHERE _id = v.a;
