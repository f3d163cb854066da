-- typed columns of a file source are listed
BULK INSERT INTO c (id INT, price DOUBLE, created_at TIMESTAMP, tags JSON) FROM 'items.csv' CHECK (price >= 0);
