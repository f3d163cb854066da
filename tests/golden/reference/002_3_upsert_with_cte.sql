-- From ../shared/reference/002_fb081e463d4b888e.txt (the article's SQL section), statement 3, verbatim.
-- Bulk UPSERT operations with complex merge logic
BULK UPSERT INTO user_daily_summaries (
    user_id, summary_date, metrics, computed_fields, last_updated
)
WITH AGGREGATION_SOURCE AS (
    -- Compute daily metrics from raw events
    SELECT 
        user_id,
        DATE(timestamp) as summary_date,
        
        -- Event count metrics
        COUNT(*) as total_events,
        COUNT(DISTINCT session_id) as unique_sessions,
        COUNT(DISTINCT JSON_EXTRACT(device_info, '$.device_id')) as unique_devices,
        
        -- Value and duration metrics
        SUM(COALESCE(JSON_EXTRACT(event_data, '$.amount'), 0)) as total_value,
        SUM(COALESCE(JSON_EXTRACT(event_data, '$.duration'), 0)) as total_duration,
        AVG(COALESCE(JSON_EXTRACT(event_data, '$.amount'), 0)) as avg_value,
        
        -- Engagement metrics
        COUNT(*) FILTER (WHERE event_type = 'purchase') as purchase_events,
        COUNT(*) FILTER (WHERE event_type = 'page_view') as pageview_events,
        COUNT(*) FILTER (WHERE event_type = 'button_click') as interaction_events,
        
        -- Geographic and device analytics
        JSON_ARRAYAGG(
            DISTINCT JSON_EXTRACT(location_data, '$.country')
        ) FILTER (WHERE JSON_EXTRACT(location_data, '$.country') IS NOT NULL) as countries_visited,
        
        JSON_OBJECT(
            'desktop', COUNT(*) FILTER (WHERE JSON_EXTRACT(device_info, '$.type') = 'desktop'),
            'mobile', COUNT(*) FILTER (WHERE JSON_EXTRACT(device_info, '$.type') = 'mobile'),
            'tablet', COUNT(*) FILTER (WHERE JSON_EXTRACT(device_info, '$.type') = 'tablet')
        ) as device_breakdown,
        
        -- Time-based patterns
        JSON_OBJECT(
            'morning', COUNT(*) FILTER (WHERE EXTRACT(HOUR FROM timestamp) BETWEEN 6 AND 11),
            'afternoon', COUNT(*) FILTER (WHERE EXTRACT(HOUR FROM timestamp) BETWEEN 12 AND 17),
            'evening', COUNT(*) FILTER (WHERE EXTRACT(HOUR FROM timestamp) BETWEEN 18 AND 23),
            'night', COUNT(*) FILTER (WHERE EXTRACT(HOUR FROM timestamp) BETWEEN 0 AND 5)
        ) as time_distribution,
        
        -- Calculated engagement scores
        (
            COUNT(*) * 1.0 +
            COUNT(DISTINCT session_id) * 2.0 +
            COUNT(*) FILTER (WHERE event_type = 'purchase') * 5.0 +
            SUM(COALESCE(JSON_EXTRACT(event_data, '$.amount'), 0)) * 0.1
        ) as engagement_score,
        
        -- Session quality metrics
        AVG(session_duration.duration) as avg_session_duration,
        MAX(session_events.event_count) as max_events_per_session
        
    FROM user_analytics ua
    LEFT JOIN LATERAL (
        SELECT 
            (MAX(timestamp) - MIN(timestamp)) / 1000.0 as duration
        FROM user_analytics ua2 
        WHERE ua2.user_id = ua.user_id 
          AND ua2.session_id = ua.session_id
    ) session_duration ON TRUE
    LEFT JOIN LATERAL (
        SELECT COUNT(*) as event_count
        FROM user_analytics ua3
        WHERE ua3.user_id = ua.user_id 
          AND ua3.session_id = ua.session_id
    ) session_events ON TRUE
    
    WHERE timestamp >= CURRENT_DATE - INTERVAL '1 day'
    GROUP BY user_id, DATE(timestamp)
)
SELECT 
    user_id,
    summary_date,
    
    -- Comprehensive metrics object
    JSON_OBJECT(
        'events', JSON_OBJECT(
            'total', total_events,
            'purchases', purchase_events,
            'pageviews', pageview_events,
            'interactions', interaction_events
        ),
        'sessions', JSON_OBJECT(
            'count', unique_sessions,
            'avg_duration', avg_session_duration,
            'max_events', max_events_per_session
        ),
        'financial', JSON_OBJECT(
            'total_value', total_value,
            'avg_value', avg_value,
            'purchase_rate', purchase_events / total_events::float
        ),
        'engagement', JSON_OBJECT(
            'score', engagement_score,
            'events_per_session', total_events / unique_sessions::float,
            'value_per_session', total_value / unique_sessions::float
        ),
        'devices', device_breakdown,
        'geography', JSON_OBJECT(
            'countries', countries_visited,
            'country_count', JSON_LENGTH(countries_visited)
        )
    ) as metrics,
    
    -- Computed analytical fields
    JSON_OBJECT(
        'user_segment', CASE 
            WHEN engagement_score >= 100 AND total_value >= 100 THEN 'vip'
            WHEN engagement_score >= 50 OR total_value >= 50 THEN 'engaged'
            WHEN total_events >= 10 THEN 'active'
            ELSE 'casual'
        END,
        
        'activity_pattern', CASE
            WHEN JSON_EXTRACT(time_distribution, '$.morning') / total_events::float > 0.5 THEN 'morning_user'
            WHEN JSON_EXTRACT(time_distribution, '$.evening') / total_events::float > 0.5 THEN 'evening_user'
            WHEN JSON_EXTRACT(time_distribution, '$.night') / total_events::float > 0.3 THEN 'night_owl'
            ELSE 'balanced'
        END,
        
        'device_preference', CASE
            WHEN JSON_EXTRACT(device_breakdown, '$.mobile') / total_events::float > 0.7 THEN 'mobile_first'
            WHEN JSON_EXTRACT(device_breakdown, '$.desktop') / total_events::float > 0.7 THEN 'desktop_user'
            ELSE 'multi_device'
        END,
        
        'purchase_probability', LEAST(1.0, 
            purchase_events / total_events::float * 2 +
            total_value / 1000.0 +
            engagement_score / 200.0
        ),
        
        'churn_risk', CASE
            WHEN avg_session_duration < 30 AND total_events < 5 THEN 'high'
            WHEN unique_sessions = 1 AND total_events < 3 THEN 'medium'  
            ELSE 'low'
        END
        
    ) as computed_fields,
    
    CURRENT_TIMESTAMP as last_updated

FROM AGGREGATION_SOURCE

-- Upsert behavior for existing records
ON CONFLICT (user_id, summary_date)
DO UPDATE SET
    metrics = JSON_MERGE_PATCH(EXCLUDED.metrics, VALUES(metrics)),
    computed_fields = VALUES(computed_fields),
    last_updated = VALUES(last_updated),
    update_count = COALESCE(update_count, 0) + 1;
