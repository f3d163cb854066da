-- write_concern = 'majority' becomes writeConcern {w: 'majority'}
BULK INSERT INTO c (_id) VALUES (1) WITH (write_concern = 'majority');
