-- a condition false on the client matches nothing: _id $exists false
BULK UPDATE c SET hit = TRUE WHERE 1 = 2 WITH (batch_size = 0);
