-- IN and NOT IN lists
BULK DELETE FROM c WHERE a IN (1, 2, 3) AND b NOT IN ('x');
