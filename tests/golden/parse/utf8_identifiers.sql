-- UTF-8 in names and strings; spans are byte offsets
BULK INSERT INTO café (naïve, "größe") VALUES ('żółw', 'ü');
