-- SET item without its value: the hint says what is missing
BULK UPDATE a SET x = WHERE TRUE;
