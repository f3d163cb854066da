-- option values: integers, booleans, strings, bare words, JSON, intervals
BULK DELETE FROM c WHERE TRUE
WITH OPTIONS (batch_size = 100, ordered = FALSE, archive_collection = archive, write_concern = {w: 'majority', j: true},
              max_execution_time = INTERVAL '5 minutes', memory_limit = '64MB');
