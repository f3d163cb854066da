-- FROM STDIN FORMAT CSV with every CSV option
BULK INSERT INTO c (id INT, name) FROM STDIN FORMAT CSV (delimiter = ';', quote = '''', null_string = 'NA', header = FALSE, skip_lines = 3);
