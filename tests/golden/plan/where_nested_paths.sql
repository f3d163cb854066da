-- dotted and numeric paths in WHERE, quoted names too
BULK UPDATE c SET hit = TRUE WHERE address.city = 'Oslo' AND items.0.qty > 1 AND "odd name".x = 1 WITH (batch_size = 0);
