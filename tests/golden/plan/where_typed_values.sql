-- ObjectId, date, decimal and document values behind $eq
BULK UPDATE c SET hit = TRUE WHERE _id = OBJECTID('65a1b2c3d4e5f6a7b8c9d0e1') AND d = DATE '2024-01-15' AND m = DECIMAL '1.10' AND doc = {a: 1} WITH (batch_size = 0);
