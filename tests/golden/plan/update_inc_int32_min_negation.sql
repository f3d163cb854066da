-- x = x - (-2147483648): the negated int32 minimum becomes an int64
BULK UPDATE c SET a = a - -2147483648 WHERE TRUE;
