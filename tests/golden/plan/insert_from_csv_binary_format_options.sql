-- BINARY, layouts and the file options of type inference, from a file that is not there
BULK INSERT INTO c (data BINARY FORMAT 'hex', at TIMESTAMP FORMAT '%d/%m/%Y')
    FROM 'data/none.csv' (blanks = 'omit', infer_rows = 50, array_index_fields = true);
