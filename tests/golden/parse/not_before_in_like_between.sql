-- NOT directly before IN/LIKE/BETWEEN negates that operator; elsewhere NOT is the prefix operator
BULK DELETE FROM c WHERE NOT a IN (1) AND b NOT IN (2) AND NOT c LIKE 'x' AND d NOT BETWEEN 1 AND 2;
