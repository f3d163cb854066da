-- CASE arg WHEN value THEN ..., without ELSE
BULK UPDATE c SET label = CASE status WHEN 1 THEN 'on' WHEN 0 THEN 'off' END WHERE TRUE;
