-- with one pipeline item, the others are rewritten: $inc, $mul, REMOVE, now, push, $set
BULK UPDATE c SET total = price * qty, n = n + 1, m = m * 2, REMOVE old, at = CURRENT_TIMESTAMP,
  tags = JSON_ARRAY_APPEND(tags, '$', 'x'), s = 'v', k = k - 3 WHERE TRUE;
