-- DO UPDATE SET *: every incoming column
BULK UPSERT INTO products FROM 'p.csv' ON CONFLICT (sku) DO UPDATE SET *;
