-- without a column list a row is one value
BULK INSERT INTO c VALUES ({a: 1}, {b: 2});
