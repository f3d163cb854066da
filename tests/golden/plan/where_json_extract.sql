-- JSON_EXTRACT(field, '$.a[0]') in WHERE is the path field.a.0
BULK UPDATE c SET hit = TRUE WHERE JSON_EXTRACT(details, '$.a[0]') = 1 AND JSON_EXTRACT(details, '$."b c"') IS NULL WITH (batch_size = 0);
