-- an option value with a bad literal reports the literal
BULK INSERT INTO c (a) VALUES (1) WITH (max_execution_time = INTERVAL '3 fortnights');
