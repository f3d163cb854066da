-- == is not an operator
BULK DELETE FROM c WHERE a == 1;
