-- simple CASE over a field, no ELSE: default null
BULK UPDATE c SET label = CASE status WHEN 1 THEN 'on' WHEN 0 THEN 'off' END WHERE TRUE;
