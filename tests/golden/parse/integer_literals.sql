-- integers: int32 range, beyond it, INT64_MAX and INT64_MIN folded with its minus sign
BULK INSERT INTO c (a, b, d, e, f) VALUES (0, 2147483647, 2147483648, 9223372036854775807, -9223372036854775808);
