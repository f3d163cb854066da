-- '' escapes a quote; an empty string; backslashes are ordinary characters
BULK INSERT INTO c (a, b, d) VALUES ('it''s', '', 'C:\path\n');
