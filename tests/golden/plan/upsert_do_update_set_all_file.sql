-- DO UPDATE SET * from a file
BULK UPSERT INTO products FROM 'p.csv' ON CONFLICT (sku) DO UPDATE SET *;
