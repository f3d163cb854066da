-- drop = true with an upsert from a file
BULK UPSERT INTO products FROM 'p.csv' ON CONFLICT (sku) DO REPLACE WITH BULK_OPTIONS (drop = true, ordered = false);
