-- = != <> < <= > >=; != and <> are one operator
BULK DELETE FROM c WHERE a = 1 AND b != 2 AND d <> 3 AND e < 4 AND f <= 5 AND g > 6 AND h >= 7;
