-- REPLACE and USING are unreserved: usable as names
BULK INSERT INTO using (replace, using) VALUES (1, 2);
