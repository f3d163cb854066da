-- rows failing CHECK keep their row numbers; batches skip them
BULK INSERT INTO c (_id) VALUES (1), (2), (3), (4), (5) CHECK (_id <> 2 AND _id <> 3) WITH (batch_size = 2);
