-- FROM (VALUES ...) needs AS before its alias
BULK UPDATE c SET a = v.a FROM (VALUES (1)) v(a) WHERE TRUE;
