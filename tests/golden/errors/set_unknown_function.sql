-- an unknown function in SET is refused at its name
BULK UPDATE c SET a = round(price, 2) WHERE TRUE;
