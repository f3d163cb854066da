-- {w: 0} is refused
BULK INSERT INTO c (a) VALUES (1) WITH (write_concern = {w: 0});
