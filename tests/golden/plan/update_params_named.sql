-- named parameters in SET and WHERE, typed from Extended JSON
BULK UPDATE c SET note = :note WHERE updated < :cutoff WITH (batch_size = 0);
