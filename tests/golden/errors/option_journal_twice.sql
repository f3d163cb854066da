-- journal and write_concern j together
BULK INSERT INTO c (a) VALUES (1) WITH (write_concern = {w: 1, j: true}, journal = TRUE);
