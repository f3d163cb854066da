-- the general options with their resolved values
BULK INSERT INTO c (_id) VALUES (1)
WITH BULK_OPTIONS (continue_on_error = TRUE, max_errors = 10, retry_attempts = 5, retry_backoff_ms = 250)
WITH BATCH_CONFIG (max_execution_time = 90, memory_limit = '64MB', checkpoint_interval = 5000, progress = FALSE)
WITH OPTIONS (error_collection = 'load_errors', failed_records_file = '/tmp/failed.ndjson');
