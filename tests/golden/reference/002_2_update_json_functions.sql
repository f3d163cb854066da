-- From ../shared/reference/002_fb081e463d4b888e.txt (the article's SQL section), statement 2, verbatim.
-- Bulk UPDATE operations with complex conditions and transformations  
BULK UPDATE user_analytics
SET 
    -- Field updates with calculations
    metrics.total_events = metrics.total_events + 1,
    metrics.total_value = metrics.total_value + JSON_EXTRACT(event_data, '$.amount'),
    metrics.last_activity = CURRENT_TIMESTAMP,
    
    -- Conditional field updates
    engagement_level = CASE 
        WHEN metrics.total_events + 1 >= 100 THEN 'high'
        WHEN metrics.total_events + 1 >= 50 THEN 'medium'
        ELSE 'low'
    END,
    
    -- Array operations
    event_history = JSON_ARRAY_APPEND(
        COALESCE(event_history, JSON_ARRAY()), 
        '$',
        JSON_OBJECT(
            'event_type', event_type,
            'timestamp', timestamp,
            'value', JSON_EXTRACT(event_data, '$.amount')
        )
    ),
    
    -- Nested document updates
    device_stats = JSON_SET(
        COALESCE(device_stats, JSON_OBJECT()),
        CONCAT('$.', JSON_EXTRACT(device_info, '$.type'), '_events'),
        COALESCE(JSON_EXTRACT(device_stats, CONCAT('$.', JSON_EXTRACT(device_info, '$.type'), '_events')), 0) + 1
    )

WHERE 
    timestamp >= CURRENT_DATE - INTERVAL '7 days'
    AND event_type IN ('page_view', 'button_click', 'purchase')
    AND JSON_EXTRACT(device_info, '$.type') IS NOT NULL

-- Batch processing configuration
WITH BATCH_CONFIG (
    batch_size = 2000,
    max_execution_time = 300, -- 5 minutes
    retry_attempts = 3,
    parallel_workers = 5,
    memory_limit = '1GB'
);
