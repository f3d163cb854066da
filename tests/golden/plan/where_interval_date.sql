-- a date computed with an interval compares as a date
BULK UPDATE c SET hit = TRUE WHERE created_at < CURRENT_DATE - INTERVAL '30 days' AND seen >= TIMESTAMP '2024-01-15T10:30:00Z' - INTERVAL '2 hours' WITH (batch_size = 0);
