-- $setOnInsert leaves out what SET assigns, also inside nested documents
BULK UPSERT INTO c (_id, address.city, address.zip, n) VALUES (1, 'Oslo', '0150', 2)
ON CONFLICT (_id) DO UPDATE SET address.city = EXCLUDED.address.city;
