-- max_execution_time as text that is not a period
BULK INSERT INTO c (a) VALUES (1) WITH (max_execution_time = 'soon');
