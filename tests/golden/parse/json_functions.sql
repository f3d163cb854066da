-- JSON_OBJECT, JSON_ARRAY, JSON_EXTRACT and JSON_ARRAY_APPEND are FuncCalls
BULK UPDATE c SET a = JSON_OBJECT('k', 1, 'l', JSON_ARRAY(1, 'x')),
                  b = JSON_EXTRACT(details, '$.a.b'),
                  tags = JSON_ARRAY_APPEND(tags, '$', 'new')
WHERE TRUE;
