-- positional parameters in SET and WHERE
BULK UPDATE c SET price = price * ? WHERE sku = ? WITH (batch_size = 0);
