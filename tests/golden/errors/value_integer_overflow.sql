-- integer arithmetic that overflows int64
BULK INSERT INTO c (a) VALUES (9223372036854775807 + 1);
