-- SET * needs incoming rows
BULK UPDATE products SET * WHERE TRUE;
