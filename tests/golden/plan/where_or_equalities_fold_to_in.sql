-- An OR of equalities on one field with plain values is one $in (issue 12:
-- generated "id = 1 OR id = 2 OR ..." statements); NULL folds too ($eq
-- null and $in [null] both match null and missing). Not folded: two
-- fields, another comparison, an array value (kept as $eq).
BULK DELETE FROM c WHERE id = 1 OR id = 'two' OR id = 3.5 OR id = NULL OR id = DATE '2024-01-02';
BULK DELETE FROM c WHERE a = 1 OR b = 2;
BULK DELETE FROM c WHERE a = 1 OR a > 5;
BULK DELETE FROM c WHERE a = JSON_ARRAY(1, 2) OR a = 3;
BULK DELETE FROM c WHERE (a = 1 OR a = 2) AND (b = 1 OR b = 2);
