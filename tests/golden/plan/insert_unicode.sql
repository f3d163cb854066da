-- UTF-8 strings and names pass through unchanged
BULK INSERT INTO c (naïve, "größe") VALUES ('żółw', 'ü');
