-- unreserved keywords are usable as field and collection names
BULK UPDATE format SET date = 1, key = 2, timestamp = 3, interval = 4, decimal = 5, do = 6, nothing = 7, conflict = 8,
  duplicate = 9, remove = 10, bulk = 11, explain = 12, create = 13, compression = 14, insert = 15, update = 16,
  delete = 17, upsert = 18
WHERE format = 'x';
