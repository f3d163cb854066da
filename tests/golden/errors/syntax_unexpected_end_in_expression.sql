-- input ends in the middle of an expression
BULK DELETE FROM c WHERE a =