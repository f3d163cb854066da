-- JSON_EXTRACT of a field path reads the nested field
BULK UPDATE c SET city = JSON_EXTRACT(address, '$.city'), zip = JSON_EXTRACT(address, '$.postal.code') WHERE TRUE WITH (batch_size = 0);
