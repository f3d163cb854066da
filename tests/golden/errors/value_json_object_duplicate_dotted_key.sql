-- JSON_OBJECT with the same dotted key twice is refused like any other key
-- given twice (issue 12: keys with a dot were not checked)
BULK UPDATE c SET doc = JSON_OBJECT('a.b', 1, 'a.b', 2) WHERE id = 1;
