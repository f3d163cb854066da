-- From ../shared/reference/002_fb081e463d4b888e.txt (the article's SQL section), statement 6, verbatim.
-- Performance monitoring for bulk operations
CREATE BULK_MONITOR bulk_operation_monitor
WITH METRICS (
    -- Throughput metrics
    documents_per_second,
    bytes_per_second,
    batch_completion_rate,
    
    -- Latency metrics  
    avg_batch_latency,
    p95_batch_latency,
    max_batch_latency,
    
    -- Error and reliability metrics
    error_rate,
    retry_rate,
    success_rate,
    
    -- Resource utilization
    memory_usage,
    cpu_utilization,
    network_throughput,
    storage_iops
)
WITH ALERTS (
    slow_performance = {
        condition: documents_per_second < 1000 FOR 5 MINUTES,
        severity: 'medium',
        action: 'increase_batch_size'
    },
    
    high_error_rate = {
        condition: error_rate > 0.05 FOR 2 MINUTES,
        severity: 'high', 
        action: 'pause_and_investigate'
    },
    
    resource_exhaustion = {
        condition: memory_usage > 0.9 OR cpu_utilization > 0.9 FOR 1 MINUTE,
        severity: 'critical',
        action: 'throttle_operations'
    }
);
