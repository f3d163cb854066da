-- LIKE: anchored regex; % is .*, _ is ., regex characters are escaped
BULK UPDATE c SET hit = TRUE WHERE a LIKE 'A%' OR b LIKE '_b_' OR d LIKE 'x.y+z(1)' OR e LIKE '%' WITH (batch_size = 0);
