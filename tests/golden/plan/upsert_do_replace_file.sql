-- DO REPLACE from a file: the template with placeholders
BULK UPSERT INTO products FROM 'p.ndjson' ON CONFLICT (sku, region) DO REPLACE;
