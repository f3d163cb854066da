-- an unknown field in a write concern document
BULK INSERT INTO c (a) VALUES (1) WITH (write_concern = {w: 1, fsync: true});
