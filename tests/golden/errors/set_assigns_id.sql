-- SET cannot assign _id
BULK UPDATE c SET _id = 5 WHERE a = 1;
