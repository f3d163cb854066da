-- From ../shared/reference/002_fb081e463d4b888e.txt (the article's SQL section), statement 5, verbatim.
-- Time series bulk operations for high-frequency data
BULK INSERT INTO sensor_readings (
    sensor_id, measurement_time, readings, metadata
)
WITH TIME_SERIES_OPTIMIZATION (
    time_field = 'measurement_time',
    meta_field = 'metadata', 
    granularity = 'hour',
    bucket_span = 3600, -- 1 hour buckets
    compression = 'delta'
)
SELECT 
    sensor_config.sensor_id,
    bucket_time,
    
    -- Aggregate measurements into time buckets
    JSON_OBJECT(
        'temperature', JSON_OBJECT(
            'min', MIN(temperature),
            'max', MAX(temperature), 
            'avg', AVG(temperature),
            'count', COUNT(temperature)
        ),
        'humidity', JSON_OBJECT(
            'min', MIN(humidity),
            'max', MAX(humidity),
            'avg', AVG(humidity),
            'count', COUNT(humidity)
        ),
        'pressure', JSON_OBJECT(
            'min', MIN(pressure),
            'max', MAX(pressure),
            'avg', AVG(pressure),
            'count', COUNT(pressure)
        )
    ) as readings,
    
    -- Metadata for the bucket
    JSON_OBJECT(
        'data_points', COUNT(*),
        'data_quality', 
            CASE 
                WHEN COUNT(*) >= 3600 THEN 'excellent'  -- One reading per second
                WHEN COUNT(*) >= 360 THEN 'good'        -- One reading per 10 seconds
                WHEN COUNT(*) >= 36 THEN 'fair'         -- One reading per minute
                ELSE 'poor'
            END,
        'sensor_health', 
            CASE
                WHEN COUNT(CASE WHEN temperature IS NULL THEN 1 END) / COUNT(*)::float > 0.1 THEN 'degraded'
                WHEN MAX(timestamp) - MIN(timestamp) < INTERVAL '55 minutes' THEN 'intermittent'
                ELSE 'healthy'
            END,
        'bucket_info', JSON_OBJECT(
            'start_time', MIN(timestamp),
            'end_time', MAX(timestamp),
            'span_seconds', EXTRACT(EPOCH FROM (MAX(timestamp) - MIN(timestamp)))
        )
    ) as metadata

FROM raw_sensor_data rsd
JOIN sensor_config sc ON sc.sensor_id = rsd.sensor_id
WHERE rsd.timestamp >= CURRENT_TIMESTAMP - INTERVAL '24 hours'
  AND rsd.processed = false
GROUP BY 
    rsd.sensor_id, 
    DATE_TRUNC('hour', rsd.timestamp)
ORDER BY sensor_id, bucket_time;
