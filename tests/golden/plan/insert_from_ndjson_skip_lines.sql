-- skip_lines applies to NDJSON too
BULK INSERT INTO c FROM 'x.ndjson' (skip_lines = 1);
