-- SET cannot assign a part of _id
BULK UPDATE c SET _id.x = 5 WHERE a = 1;
