-- CURRENT_DATE, NOW(), CURRENT_TIMESTAMP and interval arithmetic with calendar months
BULK INSERT INTO c (a, b, d, e, f, g)
VALUES (CURRENT_DATE, NOW(), CURRENT_TIMESTAMP, DATE '2024-01-31' + INTERVAL '1 month',
        TIMESTAMP '2024-03-31T12:00:00Z' - INTERVAL '1 year 1 month 1 day', INTERVAL '2 hours' + DATE '2024-01-15');
