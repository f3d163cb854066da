-- WHERE 'yes' is not a condition
BULK UPDATE c SET a = 1 WHERE 'yes';
