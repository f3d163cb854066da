-- unary minus folds into a number literal; on other operands it is a UnaryExpr; unary plus
BULK UPDATE c SET a = -5, b = - 2.5, d = -x, e = +3, f = -(y + 1) WHERE TRUE;
