-- EXISTS(path): $exists true; NOT EXISTS: $nor
BULK UPDATE c SET hit = TRUE WHERE EXISTS(address.city) AND NOT EXISTS(deleted_at) WITH (batch_size = 0);
