-- JSON_ARRAY over fields in a pipeline is an array expression
BULK UPDATE c SET pair = JSON_ARRAY(a, 1, 'x') WHERE TRUE WITH (batch_size = 0);
