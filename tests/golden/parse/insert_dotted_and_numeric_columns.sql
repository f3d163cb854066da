-- column names may be dotted paths with numeric steps
BULK INSERT INTO c (_id, address.city, items.0.price) VALUES (1, 'Oslo', 9.5);
