-- UPSERT of document rows without a column list
BULK UPSERT INTO c VALUES ({_id: 1, a: 'x'}) ON CONFLICT (_id) DO UPDATE SET a = EXCLUDED.a;
