-- DO REPLACE on _id, unordered: the new rows of a batch as one insert command before its upserts
BULK UPSERT INTO products (_id, sku) VALUES (1, 'a'), (2, 'b') ON CONFLICT (_id) DO REPLACE WITH (ordered = false);
