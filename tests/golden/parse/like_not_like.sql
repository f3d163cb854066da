-- LIKE and NOT LIKE with % _ and backslash escapes kept in the pattern text
BULK DELETE FROM c WHERE name LIKE 'A\_%' OR code NOT LIKE '%100\%';
