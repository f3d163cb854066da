-- x = y copies a field in a pipeline
BULK UPDATE c SET backup = price WHERE TRUE;
