-- file clauses may come in any order
BULK INSERT INTO c FROM 'x.txt' (skip_lines = 2) COMPRESSION NONE FORMAT tsv;
