-- ON CONFLICT (k) DO UPDATE SET: updateOne with $set of the SET list and $setOnInsert of the rest
BULK UPSERT INTO users (_id, name, email) VALUES (1, 'Ann', 'a@x'), (2, 'Bob', 'b@x')
ON CONFLICT (_id) DO UPDATE SET name = EXCLUDED.name;
