-- Two conditions on the same dotted field: an $and of the two, never one
-- document with the key "a.b" twice (issue 12: the merge looked the key up
-- as a path, so a dotted key was not seen as given twice)
BULK DELETE FROM c WHERE a.b > 1 AND a.b < 5 AND x = 1;
