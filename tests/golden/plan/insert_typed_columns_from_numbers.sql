-- typed columns convert numbers: INT from 7.0, BIGINT from 7, DOUBLE from 7, DECIMAL from 7 and 0.5
BULK INSERT INTO c (i INT, b BIGINT, d DOUBLE, m DECIMAL, n DECIMAL) VALUES (7.0, 7, 7, 7, 0.5);
