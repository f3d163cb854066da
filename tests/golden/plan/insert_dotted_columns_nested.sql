-- dotted columns build nested documents, siblings merged
BULK INSERT INTO c (_id, address.city, address.zip, geo.lat) VALUES (1, 'Oslo', '0150', 59.9);
