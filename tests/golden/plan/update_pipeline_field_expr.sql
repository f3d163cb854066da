-- x = y + 1 refers to another field: a pipeline update
BULK UPDATE c SET total = price * qty, next = n + 1 WHERE TRUE;
