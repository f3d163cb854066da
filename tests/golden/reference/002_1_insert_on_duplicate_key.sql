-- From ../shared/reference/002_fb081e463d4b888e.txt (the article's SQL section), statement 1, verbatim.
-- QueryLeaf bulk operations with SQL-familiar patterns

-- Bulk INSERT operations with comprehensive data processing
BULK INSERT INTO user_analytics (
    user_id, event_type, event_data, session_id, timestamp, 
    device_info, location_data, processing_metadata
)
VALUES 
-- Process multiple rows efficiently
('user_001', 'page_view', JSON_OBJECT('page', '/dashboard', 'duration', 1500), 'session_123', CURRENT_TIMESTAMP,
 JSON_OBJECT('device_id', 'device_456', 'type', 'desktop'), 
 JSON_OBJECT('country', 'US', 'city', 'San Francisco'),
 JSON_OBJECT('batch_id', 'batch_001', 'ingestion_time', CURRENT_TIMESTAMP)),

('user_002', 'button_click', JSON_OBJECT('button', 'subscribe', 'value', 25.00), 'session_124', CURRENT_TIMESTAMP,
 JSON_OBJECT('device_id', 'device_457', 'type', 'mobile'), 
 JSON_OBJECT('country', 'CA', 'city', 'Toronto'),
 JSON_OBJECT('batch_id', 'batch_001', 'ingestion_time', CURRENT_TIMESTAMP)),

('user_003', 'purchase', JSON_OBJECT('product_id', 'prod_789', 'amount', 99.99), 'session_125', CURRENT_TIMESTAMP,
 JSON_OBJECT('device_id', 'device_458', 'type', 'tablet'), 
 JSON_OBJECT('country', 'UK', 'city', 'London'),
 JSON_OBJECT('batch_id', 'batch_001', 'ingestion_time', CURRENT_TIMESTAMP))

-- Advanced bulk options
WITH BULK_OPTIONS (
    batch_size = 5000,
    ordered = false,
    write_concern = 'majority',
    bypass_validation = false,
    continue_on_error = true,
    upsert_mode = false
)
ON DUPLICATE KEY UPDATE 
    event_data = VALUES(event_data),
    last_updated = CURRENT_TIMESTAMP,
    update_count = update_count + 1;
