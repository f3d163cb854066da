-- rows without a column list are documents
BULK INSERT INTO c VALUES ({_id: 1, name: 'a'}), ({"_id": 2, "tags": ["x"]});
