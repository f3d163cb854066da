-- a statement over several lines: locations are byte offsets from the file start
BULK UPDATE c
   SET a = 1
 WHERE b = 2;
