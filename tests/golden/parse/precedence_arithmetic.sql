-- * / % bind tighter than + -, all left-associative
BULK UPDATE c SET r = a + b * d - e / f % g WHERE TRUE;
