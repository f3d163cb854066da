-- retry_attempts above 100
BULK INSERT INTO c (a) VALUES (1) WITH (retry_attempts = 1000);
