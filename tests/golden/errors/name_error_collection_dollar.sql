-- an error collection the server would refuse fails at plan time
BULK INSERT INTO orders (_id) VALUES (1) WITH (error_collection = 'errors$x');
