-- write_concern as {w, j, wtimeout}
BULK INSERT INTO c (_id) VALUES (1) WITH (write_concern = {w: 'majority', j: true, wtimeout: 5000});
