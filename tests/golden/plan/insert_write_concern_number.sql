-- write_concern = 2 becomes {w: 2} as int32
BULK INSERT INTO c (_id) VALUES (1) WITH (write_concern = 2);
