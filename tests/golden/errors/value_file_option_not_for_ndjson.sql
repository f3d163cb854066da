-- delimiter applies to CSV and TSV only
BULK INSERT INTO c FROM 'x.ndjson' (delimiter = ';');
