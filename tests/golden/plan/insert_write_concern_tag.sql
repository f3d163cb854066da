-- write_concern {w: 'tagName'} names a tag set
BULK INSERT INTO c (_id) VALUES (1) WITH (write_concern = {w: 'dc-east'});
