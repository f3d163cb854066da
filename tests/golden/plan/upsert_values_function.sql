-- VALUES(col) reads the incoming row
BULK UPSERT INTO c (_id, qty) VALUES (1, 3) ON CONFLICT (_id) DO UPDATE SET qty = qty + VALUES(qty);
