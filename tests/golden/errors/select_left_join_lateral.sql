-- the reference's LEFT JOIN LATERAL fails closed at LATERAL
BULK INSERT INTO t SELECT a FROM user_analytics ua LEFT JOIN LATERAL (SELECT 1) x ON TRUE;
