-- x = x * DATE is not a number multiplication
BULK UPDATE c SET n = n * DATE '2024-01-15' WHERE TRUE;
