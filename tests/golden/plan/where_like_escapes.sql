-- backslash escapes % and _ in LIKE; a literal backslash is escaped for the regex
BULK UPDATE c SET hit = TRUE WHERE a LIKE '100\%' AND b LIKE 'a\_b' AND d LIKE 'c:\\dir' WITH (batch_size = 0);
