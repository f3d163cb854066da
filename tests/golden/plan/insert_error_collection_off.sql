-- error_collection = '' turns error records off (null)
BULK INSERT INTO c (_id) VALUES (1) WITH (error_collection = '');
