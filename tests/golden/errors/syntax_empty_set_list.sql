-- SET needs at least one item
BULK UPDATE c SET;
