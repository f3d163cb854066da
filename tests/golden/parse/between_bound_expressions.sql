-- BETWEEN bounds are arithmetic (b_expr): * / % || and unary minus, without AND/OR
BULK DELETE FROM c WHERE a BETWEEN -x * 2 AND y / 2 % 3 AND s NOT BETWEEN 'a' || p AND 'z';
