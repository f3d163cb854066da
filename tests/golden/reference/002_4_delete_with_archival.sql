-- From ../shared/reference/002_fb081e463d4b888e.txt (the article's SQL section), statement 4, verbatim.
-- Advanced bulk DELETE operations with archival
BULK DELETE FROM user_analytics 
WHERE 
    timestamp < CURRENT_DATE - INTERVAL '90 days'
    AND JSON_EXTRACT(event_data, '$.amount') IS NULL
    AND event_type NOT IN ('purchase', 'subscription', 'payment')

-- Archive before deletion
WITH ARCHIVAL_STRATEGY (
    archive_collection = 'archived_user_analytics',
    compression = 'zstd',
    partition_by = 'DATE_TRUNC(month, timestamp)',
    retention_period = '2 years'
)

-- Conditional deletion with business rules
AND NOT EXISTS (
    SELECT 1 FROM user_profiles up 
    WHERE up.user_id = user_analytics.user_id 
      AND up.account_type IN ('premium', 'enterprise')
)

-- Performance optimization
WITH DELETE_OPTIONS (
    batch_size = 10000,
    max_execution_time = 1800, -- 30 minutes
    checkpoint_interval = 5000,
    parallel_deletion = true,
    verify_foreign_keys = false
);
